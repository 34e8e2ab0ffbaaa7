// Error texts and logs end up in Terraform output, CI logs and bug reports. Whatever the tenant or a transport
// error echoes back, no password, client secret, token or Authorization value may pass through.

/** Replaces every known secret (and any Authorization-style credential) in a text with `***`. */
export class SecretRedactor {
  private readonly secrets = new Set<string>();

  /** Registers a secret; also its base64 forms as they appear inside Basic auth headers. */
  add(secret: string | undefined): void {
    if (!secret) return;
    this.secrets.add(secret);
    this.secrets.add(encodeURIComponent(secret));
  }

  /** Registers the `user:password` pair of a Basic auth header so its base64 never leaks either. */
  addBasicPair(user: string, password: string): void {
    this.add(password);
    this.add(Buffer.from(`${user}:${password}`).toString('base64'));
  }

  redact(text: string): string {
    let out = text;
    // longest first, so a secret that contains another is removed whole
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join('***');
    }
    return out
      .replace(/\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 ***')
      .replace(/("?(?:access_token|client_secret|clientsecret|password)"?\s*[:=]\s*"?)[^"&\s,}]+/gi, '$1***')
      .replace(/(\/\/)[^/@\s:]+:[^/@\s]+@/g, '$1***@');
  }
}
