// Parses a Mermaid gantt with mermaid's own parser, in Node: mermaid needs a DOM only for DOMPurify, which linkedom
// provides. After the grammar, the gantt's own database computes every task's dates (this is where an invalid date
// or an unknown task reference fails), so a gantt that passes here is one GitHub can draw.
import { parseHTML } from 'linkedom';

export interface GanttTask {
  readonly section: string;
  readonly task: string;
  readonly start: Date;
  readonly end: Date;
  readonly milestone: boolean;
  readonly crit: boolean;
}

interface MermaidTask {
  section: string;
  task: string;
  startTime: Date;
  endTime: Date;
  milestone?: boolean;
  crit?: boolean;
}

async function mermaid() {
  const globals = globalThis as { window?: unknown; document?: unknown };
  if (!globals.window) {
    const { window } = parseHTML('<!doctype html><html><body></body></html>');
    globals.window = window;
    globals.document = window.document;
  }
  return (await import('mermaid')).default;
}

/** The gantt's tasks; throws mermaid's parse error (line and expectation) when it does not parse. */
export async function parseGantt(text: string): Promise<GanttTask[]> {
  const api = await mermaid();
  const parsed = await api.parse(text);
  if (!parsed || parsed.diagramType !== 'gantt') throw new Error(`not a gantt: ${JSON.stringify(parsed)}`);
  const diagram = await api.mermaidAPI.getDiagramFromText(text);
  const tasks = (diagram.db as unknown as { getTasks(): MermaidTask[] }).getTasks();
  return tasks.map((t) => {
    if (!(t.startTime instanceof Date) || Number.isNaN(t.startTime.getTime()) || Number.isNaN(t.endTime.getTime())) {
      throw new Error(`task "${t.task}" has no valid dates`);
    }
    return {
      section: t.section,
      task: t.task.trim(),
      start: t.startTime,
      end: t.endTime,
      milestone: Boolean(t.milestone),
      crit: Boolean(t.crit),
    };
  });
}

/** The ```mermaid blocks of a Markdown text. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}
