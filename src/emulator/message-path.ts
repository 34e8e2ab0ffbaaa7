// The tenant's live traffic path: a deployed iFlow's HTTP sender endpoint (POST /http/<iFlow id>) takes a payload,
// the iFlow's SOAP receiver channel signs it with the tenant key pair under the signing alias and encrypts it for
// the certificate under the public key alias, and posts it to the receiver; the receiver's answer goes back to the
// sender. The certificate is read from the keystore for every message, so an exchange takes effect at once, as on
// a tenant. An iFlow that is not STARTED sends nothing: this is what makes "no message lost" measurable.
import { performance } from 'node:perf_hooks';
import http from 'node:http';
import https from 'node:https';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CpiError, isCpiError } from '../errors';
import { signAndEncrypt, soapEnvelope } from '../wssecurity';
import type { Authenticator } from './auth';
import { keystoreEntryFacts } from './certificate-facts';
import { MessageLog, type MessageOutcome, type MessageRecord } from './message-log';
import { ODataError } from './odata';
import type { DeployedChannel, TenantStore } from './tenant-store';

/** Path prefix of the iFlows' HTTP sender endpoints, as on a tenant's runtime node. */
export const SENDER_ENDPOINT_PREFIX = '/http';

/** What the sender is answered. */
export interface SenderAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface MessagePathOptions {
  readonly store: TenantStore;
  readonly log: MessageLog;
  readonly auth: Authenticator;
  readonly now: () => number;
  /** How long to wait for the receiver's answer. @default 30000 */
  readonly receiverTimeoutMs?: number;
}

interface ReceiverAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

const XML_DECLARATION = /^\uFEFF?\s*<\?xml[^?]*\?>\s*/;

type Secured =
  | { readonly ok: true; readonly envelope: string; readonly fingerprint: string }
  | { readonly ok: false; readonly status: 400 | 500; readonly error: CpiError };

/** Carries messages from the sender endpoints through the iFlows' receiver channels. */
export class MessagePath {
  // own keep-alive agents, destroyed on close, so that no pooled socket keeps a stopped emulator's process alive
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private readonly receiverTimeoutMs: number;

  constructor(private readonly options: MessagePathOptions) {
    this.receiverTimeoutMs = options.receiverTimeoutMs ?? 30_000;
  }

  /** Processes one message posted to the sender endpoint of `iflowId`; every outcome is logged. */
  async send(iflowId: string, payload: Buffer, soapAction?: string): Promise<SenderAnswer> {
    const started = performance.now();
    const time = new Date(this.options.now()).toISOString();
    const record = (
      outcome: MessageOutcome,
      answer: SenderAnswer,
      facts: Partial<Pick<MessageRecord, 'certificateFingerprint' | 'receiverStatus' | 'detail'>>,
      channel: DeployedChannel | undefined,
    ): SenderAnswer => {
      this.options.log.append({
        time,
        iflowId,
        outcome,
        certificateFingerprint: facts.certificateFingerprint ?? null,
        publicKeyAlias: channel?.publicKeyAlias ?? null,
        receiverUrl: channel?.receiverUrl ?? null,
        receiverStatus: facts.receiverStatus ?? null,
        senderStatus: answer.status,
        detail: facts.detail ?? null,
        durationMs: Math.round(performance.now() - started),
      });
      return answer;
    };

    const state = this.options.store.state;
    const artifact = state.runtime[iflowId];
    if (!state.iflows[iflowId] && !artifact) {
      const error = new CpiError('CPI_EMULATOR_IFLOW_UNKNOWN', `no iFlow has the id "${iflowId}"`);
      return record('not-sent', errorAnswer(404, error), { detail: error.message }, undefined);
    }
    if (!artifact || artifact.status !== 'STARTED') {
      const error = new CpiError(
        'CPI_EMULATOR_IFLOW_NOT_STARTED',
        `the iFlow "${iflowId}" has runtime status ${artifact ? artifact.status : 'not deployed'}; expected STARTED, so nothing was sent`,
      );
      return record('not-sent', errorAnswer(503, error), { detail: error.message }, undefined);
    }
    // copied: an undeploy or redeploy during the send must not change what this message is sent with
    const channel = { ...artifact.channel };

    const secured = this.secure(channel, payload);
    if (!secured.ok) {
      return record('not-sent', errorAnswer(secured.status, secured.error), { detail: secured.error.message }, channel);
    }

    let answer: ReceiverAnswer;
    try {
      answer = await this.post(channel.receiverUrl, secured.envelope, soapAction);
    } catch (error) {
      const unreachable = new CpiError(
        'CPI_EMULATOR_RECEIVER_UNREACHABLE',
        `POST ${channel.receiverUrl} failed: ${(error as Error).message}`,
      );
      return record(
        'receiver-unreachable',
        errorAnswer(502, unreachable),
        { certificateFingerprint: secured.fingerprint, detail: unreachable.message },
        channel,
      );
    }
    const delivered = answer.status >= 200 && answer.status < 300;
    return record(
      delivered ? 'delivered' : 'refused',
      { status: answer.status, contentType: answer.contentType, body: answer.body },
      {
        certificateFingerprint: secured.fingerprint,
        receiverStatus: answer.status,
        detail: delivered ? null : `the receiver answered ${answer.status}`,
      },
      channel,
    );
  }

  /** Stops the pooled connections to receivers. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /**
   * Signs and encrypts the payload with the keystore as it is now. A bad payload is the sender's fault (400); a
   * missing or unusable keystore entry is the tenant's (500, as a failed message on a tenant).
   */
  private secure(channel: DeployedChannel, payload: Buffer): Secured {
    const notBuilt = (status: 400 | 500, detail: string): Secured => ({
      ok: false,
      status,
      error: new CpiError('CPI_EMULATOR_MESSAGE_NOT_BUILT', detail),
    });
    const keystore = this.options.store.state.keystores.system;
    const receiver = keystore[channel.publicKeyAlias];
    if (!receiver) {
      return notBuilt(
        500,
        `the public key alias "${channel.publicKeyAlias}" is not in the keystore; expected the receiver's certificate there`,
      );
    }
    const signer = keystore[channel.signingAlias];
    if (!signer?.privateKeyPem) {
      return notBuilt(
        500,
        signer
          ? `the signing alias "${channel.signingAlias}" holds a certificate, not a key pair; expected a key pair`
          : `the signing alias "${channel.signingAlias}" is not in the keystore; expected a tenant key pair`,
      );
    }
    const text = payload.toString('utf8').replace(XML_DECLARATION, '');
    if (!text.trim()) return notBuilt(400, 'the posted payload is empty; expected an XML document');
    // text would be valid Body content, but a channel's payload is a document: refuse it before the work of signing
    if (!text.trimStart().startsWith('<')) {
      return notBuilt(
        400,
        `the posted payload starts with "${text.trimStart().slice(0, 20)}"; expected an XML element`,
      );
    }
    const fingerprint = keystoreEntryFacts(receiver.certificatePem).fingerprintSha256;
    try {
      const envelope = signAndEncrypt(soapEnvelope(text), {
        encryptionCertificatePem: receiver.certificatePem,
        keyIdentifier: channel.keyIdentifier,
        signing: { privateKeyPem: signer.privateKeyPem, certificatePem: signer.certificatePem },
        now: new Date(this.options.now()),
      });
      return { ok: true, envelope, fingerprint };
    } catch (error) {
      if (
        isCpiError(error) &&
        (error.code === 'CPI_WSS_MALFORMED_MESSAGE' || error.code === 'CPI_WSS_DOCTYPE_FORBIDDEN')
      ) {
        return notBuilt(400, `the posted payload is not usable XML: ${error.detail}`);
      }
      return notBuilt(
        500,
        `signing with "${channel.signingAlias}" and encrypting for "${channel.publicKeyAlias}" (sha256=${fingerprint}) failed: ${
          (error as Error).message
        }`,
      );
    }
  }

  private post(receiverUrl: string, envelope: string, soapAction: string | undefined): Promise<ReceiverAnswer> {
    return new Promise((resolve, reject) => {
      let url: URL;
      try {
        url = new URL(receiverUrl);
      } catch {
        reject(new Error(`the receiver URL "${receiverUrl}" is not a URL`));
        return;
      }
      const secure = url.protocol === 'https:';
      const body = Buffer.from(envelope, 'utf8');
      const request = (secure ? https : http).request(
        url,
        {
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: {
            'content-type': 'text/xml; charset=utf-8',
            'content-length': String(body.length),
            soapaction: soapAction ?? '""',
          },
          timeout: this.receiverTimeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 502,
              contentType: response.headers['content-type'] ?? 'application/octet-stream',
              body: Buffer.concat(chunks),
            }),
          );
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.receiverTimeoutMs} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }
}

function errorAnswer(status: number, error: CpiError, headers?: Record<string, string>): SenderAnswer {
  return {
    status,
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify({ error: { code: error.code, message: error.message, fix: error.fix } }),
    headers,
  };
}

function sendAnswer(reply: FastifyReply, answer: SenderAnswer): void {
  reply
    .code(answer.status)
    .headers(answer.headers ?? {})
    .type(answer.contentType)
    .send(answer.body);
}

/** Options of GET /emulator/messages, from its query string. */
function messageQuery(query: URLSearchParams): { iflowId?: string; after?: number } {
  const after = query.get('after');
  return {
    iflowId: query.get('iflowId') ?? undefined,
    after: after !== null && /^\d+$/.test(after) ? Number(after) : undefined,
  };
}

/**
 * Mounts `POST /http/<iFlow id>` (Basic or bearer authentication, like the API) and the admin view
 * `GET /emulator/messages[?iflowId=…&after=<seq>]` (admin token, like /emulator/faults).
 */
export function mountMessagePath(app: FastifyInstance, path: MessagePath, auth: Authenticator, log: MessageLog): void {
  app.post<{ Params: { iflowId: string } }>(`${SENDER_ENDPOINT_PREFIX}/:iflowId`, async (request, reply) => {
    try {
      auth.authenticate(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof ODataError)) throw error;
      sendAnswer(reply, {
        status: error.status,
        contentType: 'text/plain; charset=utf-8',
        body: error.text,
        headers: error.headers,
      });
      return;
    }
    const soapAction = request.headers.soapaction;
    const payload = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    sendAnswer(
      reply,
      await path.send(request.params.iflowId, payload, Array.isArray(soapAction) ? soapAction[0] : soapAction),
    );
  });
  app.get('/emulator/messages', async (request, reply) => {
    const query = messageQuery(new URL(request.url, 'http://emulator.invalid').searchParams);
    void reply
      .type('application/json; charset=utf-8')
      .send(JSON.stringify({ counts: log.counts(query), messages: log.list(query) }));
  });
}
