// Live traffic through the iFlow while the renewal runs: posts a business message to the tenant's sender endpoint
// at a steady rate. What happened to each message (delivered and decrypted, refused by the receiver, or not sent
// because the iFlow was undeployed) is read from the tenant's message log, so the counts are the tenant's own.

export interface TrafficOptions {
  /** The tenant's sender endpoint, e.g. `http://127.0.0.1:4711/http/EncryptedOrderToReceiver`. */
  readonly endpoint: string;
  readonly username: string;
  readonly password: string;
  /** Messages per second. */
  readonly rate: number;
}

export class TrafficGenerator {
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  private sequence = 0;
  /** Messages posted (whatever became of them). */
  sent = 0;

  constructor(private readonly options: TrafficOptions) {}

  start(): void {
    const authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`;
    this.timer = setInterval(() => {
      const n = ++this.sequence;
      const body = `<order xmlns="urn:example:orders"><id>${n}</id><amount>${(n * 7.35).toFixed(2)}</amount></order>`;
      this.sent++;
      const post = fetch(this.options.endpoint, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/xml' },
        body,
        signal: AbortSignal.timeout(10_000),
      })
        .then((response) => response.arrayBuffer())
        .then(
          () => undefined,
          () => undefined, // the tenant's message log records what happened; nothing to do here
        );
      this.inFlight.add(post);
      void post.finally(() => this.inFlight.delete(post));
    }, 1000 / this.options.rate);
  }

  /** Stops sending and waits for the messages already posted. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
  }
}
