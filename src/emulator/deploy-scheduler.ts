// Deploy and undeploy take time on a tenant: a deploy is DEPLOYING / STARTING until it ends in STARTED or ERROR, an
// undeploy is STOPPING until the artifact is gone (docs/design/sap-api.md#deploy-status). The due times live in the
// durable state, so work in flight when the emulator stops completes (or resumes) when it starts again.
import { randomUUID } from 'node:crypto';
import { channelOf } from './channel-parameters';
import type { TenantStore } from './tenant-store';

/** Runs the timed transitions of deploy tasks and runtime artifacts. */
export class DeployScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly store: TenantStore,
    private readonly now: () => number,
    private readonly delays: { readonly deployMs: number; readonly undeployMs: number },
  ) {}

  /** Starts a deploy of the iFlow's current version and configuration; returns the task id. */
  deploy(iflowId: string, deployedBy: string): string {
    const taskId = randomUUID();
    const now = this.now();
    this.store.update((state) => {
      const iflow = state.iflows[iflowId]!;
      state.tasks[taskId] = { taskId, iflowId, status: 'DEPLOYING', createdAt: now, dueAt: now + this.delays.deployMs };
      state.runtime[iflowId] = {
        id: iflowId,
        version: iflow.version,
        name: iflow.name,
        deployedBy,
        deployedOn: now,
        status: 'STARTING',
        errorText: null,
        channel: channelOf(iflow),
        taskId,
        undeployDueAt: null,
      };
    });
    this.resume();
    return taskId;
  }

  /** Starts an undeploy; the artifact shows STOPPING until it disappears. */
  undeploy(iflowId: string): void {
    const now = this.now();
    this.store.update((state) => {
      const artifact = state.runtime[iflowId]!;
      if (artifact.undeployDueAt !== null) return; // already stopping
      artifact.status = 'STOPPING';
      artifact.taskId = null;
      artifact.undeployDueAt = now + this.delays.undeployMs;
    });
    this.resume();
  }

  /** Schedules every pending transition found in the state (at start, and after each change). */
  resume(): void {
    if (this.closed) return;
    const state = this.store.state;
    for (const task of Object.values(state.tasks)) {
      if (task.status === 'DEPLOYING')
        this.at(`task:${task.taskId}`, task.dueAt, () => this.completeDeploy(task.taskId));
    }
    for (const artifact of Object.values(state.runtime)) {
      if (artifact.undeployDueAt !== null) {
        this.at(`undeploy:${artifact.id}`, artifact.undeployDueAt, () => this.completeUndeploy(artifact.id));
      }
    }
  }

  /** Stops all timers; pending transitions stay in the state for the next start. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private at(key: string, dueAt: number, action: () => void): void {
    if (this.timers.has(key)) return;
    this.timers.set(
      key,
      setTimeout(
        () => {
          this.timers.delete(key);
          if (!this.closed) action();
        },
        Math.max(0, dueAt - this.now()),
      ),
    );
  }

  private completeDeploy(taskId: string): void {
    this.store.update((state) => {
      const task = state.tasks[taskId];
      if (!task || task.status !== 'DEPLOYING') return;
      task.status = 'SUCCESS';
      const artifact = state.runtime[task.iflowId];
      // a later deploy or an undeploy has taken the artifact over: this task no longer decides its state
      if (!artifact || artifact.taskId !== taskId || artifact.status !== 'STARTING') return;
      const error = state.iflows[task.iflowId]?.deployError ?? null;
      artifact.status = error ? 'ERROR' : 'STARTED';
      artifact.errorText = error;
      artifact.taskId = null;
    });
  }

  private completeUndeploy(iflowId: string): void {
    this.store.update((state) => {
      if (state.runtime[iflowId]?.undeployDueAt !== null) delete state.runtime[iflowId];
    });
  }
}
