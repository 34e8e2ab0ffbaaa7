// The one registry of stable error codes. Every error a user can meet carries one of these codes, a message that
// says what failed and with which value, and what to do next. docs/errors.md is generated from this table and a
// test keeps the two in step. Codes never change meaning once released; retire a code instead of reusing it.

export interface ErrorSpec {
  /** One line: what went wrong, in the domain's words. */
  readonly summary: string;
  /** What the user should do about it. */
  readonly fix: string;
}

function registry<T extends Record<string, ErrorSpec>>(table: T): T {
  return table;
}

// A function, not a constant: a launch of the provider that meets no error (most of them) never builds the table.
const errorTable = () =>
  registry({
    // --- provider runtime (src/provider) ---
    CPI_PROVIDER_INTERNAL: {
      summary: 'The provider failed unexpectedly',
      fix: 'This is a bug in the provider. Re-run with TF_LOG=debug and report the log together with the error text.',
    },
    CPI_PROVIDER_UNKNOWN_TYPE: {
      summary: 'Terraform asked for a resource or data source type this provider does not have',
      fix: 'Check the type name against the provider documentation in docs/, and the provider version in required_providers.',
    },
    CPI_PROVIDER_NOT_CONFIGURED: {
      summary: 'A resource was used before the provider was configured',
      fix: 'Make sure the provider block (or its environment variables) is valid; Terraform configures it before any resource.',
    },
    CPI_PROVIDER_INVALID_CONFIG: {
      summary: 'The provider configuration is invalid',
      fix: 'Correct the named provider attribute or environment variable.',
    },
    CPI_PROVIDER_STATE_UPGRADE: {
      summary: 'The stored state of a resource cannot be read by this provider version',
      fix: 'Use the provider version that wrote the state, or remove the resource from state and import it again.',
    },
    CPI_PROVIDER_SERVED_CONFIG_CONFLICT: {
      summary: 'A served provider was configured twice with different settings within one Terraform command',
      fix: 'A served provider (one process for a run of stages) holds one configuration per command: give every provider block of the stack the same settings, or run that stack without serving the provider.',
    },
    CPI_PROVIDER_INTERRUPTED: {
      summary: 'The operation was interrupted (Ctrl-C or StopProvider) before it finished',
      fix: 'Run the same command again: every operation of this provider is safe to repeat.',
    },
    CPI_PROVIDER_TIMEOUT: {
      summary: 'The operation did not finish within its timeout',
      fix: 'Raise the timeout named in the message, or check the remote system for why it is slow, then re-run.',
    },
    CPI_PROVIDER_RUNTIME_MISSING: {
      summary: "The provider package in the mirror found no runtime (the provider's code) beside it",
      fix: 'Run `npx cpi-renewal provider install` again (with the same --dir, if one was given); the path in the message is where the runtime belongs.',
    },
    CPI_PROVIDER_RUNTIME_MISMATCH: {
      summary: "A part of the provider's runtime is not from the same build as the provider beside it",
      fix: 'Run `npx cpi-renewal provider install` again (with the same --dir, if one was given), then re-run the command; a provider still running from before the install must be restarted.',
    },
    CPI_VALUE_INVALID: {
      summary: 'An attribute value is not valid',
      fix: 'Correct the value of the named attribute as the message describes.',
    },
    CPI_IMPORT_ID_INVALID: {
      summary: 'The import ID is not in the expected form',
      fix: 'Use the import ID form given in the resource documentation.',
    },
    // --- provider resources (src/provider/resources) ---
    CPI_ALIAS_INVALID: {
      summary: 'The keystore alias is not valid',
      fix: 'Use a lower-case alias of at most 250 characters without slashes, backslashes or control characters.',
    },
    CPI_ALIAS_IN_USE: {
      summary: 'The alias cannot be deleted: deployed iFlows encrypt with it',
      fix: 'Point the iFlows named in the message at another alias and redeploy them, or undeploy them, then re-run. To stop managing the alias without deleting it, set `deletion_policy = "ABANDON"` and apply before destroying (or run `terraform state rm <address>`).',
    },
    CPI_ALIAS_EXCHANGE_UNSAFE: {
      summary:
        'Putting this certificate under the alias would make deployed iFlows encrypt for a key the receiver does not hold active',
      fix: 'Activate the receiver key of the new certificate first (overlap renewal), or undeploy every iFlow named in the message first (single-key renewal), then re-run.',
    },
    CPI_ALIAS_CERTIFICATE_KEY_MISMATCH: {
      summary: 'The certificate for the alias is not the certificate of the receiver key it is meant for',
      fix: "Hand over the receiver key's own certificate (its certificate_pem), or correct receiver_key_fingerprint_sha256.",
    },
    CPI_RENEWAL_ALIAS_CONFLICT: {
      summary: 'The alias holds neither the certificate this exchange replaces nor the new one',
      fix: 'Another renewal or an out-of-band change moved the alias. Find out who changed it (the fingerprint found is in the message); finish or roll back that renewal first, or set expected_previous_fingerprint_sha256 to what the alias must hold.',
    },
    CPI_RECEIVER_KEY_IN_USE: {
      summary:
        'The receiver key cannot stop decrypting or be deleted: the alias holds its certificate and deployed iFlows encrypt for it',
      fix: 'Exchange the certificate under the alias for the new key first (and let the retention pass before deleting), or undeploy the iFlows named in the message, then re-run.',
    },
    CPI_IFLOW_DEPLOY_UNSAFE: {
      summary: 'Deploying the iFlow would send messages the receiver cannot decrypt',
      fix: 'Activate the receiver key whose certificate is under the alias (or put the certificate of an active key under the alias) first, then re-run.',
    },
    CPI_IFLOW_UNDEPLOY_REFUSED: {
      summary: 'Destroying the deployment would undeploy an iFlow that sends with the alias',
      fix: 'To stop managing the deployment without undeploying the iFlow, run `terraform state rm <address>`. To stop the iFlow on purpose, set `deployed = false` and apply.',
    },
    CPI_IFLOW_NOT_FOUND: {
      summary: 'The integration flow does not exist on the tenant',
      fix: "Check iflow_id (the artifact ID, not its name) and version against the tenant's design-time artifacts.",
    },
    // --- pki (src/pki) ---
    CPI_PKI_NOT_PEM: {
      summary: 'The certificate is not in PEM form',
      fix: 'Pass one X.509 certificate as PEM: a block that starts with -----BEGIN CERTIFICATE----- and ends with -----END CERTIFICATE-----. Convert DER with `openssl x509 -inform der -in cert.der -out cert.pem`.',
    },
    CPI_PKI_PRIVATE_KEY_PASTED: {
      summary: 'A private key was given where a certificate was expected',
      fix: 'Remove the PRIVATE KEY block and pass only the certificate. Treat the key as exposed if it was committed or shared, and generate a new key pair.',
    },
    CPI_PKI_CERTIFICATE_CHAIN: {
      summary: 'More than one certificate was given where exactly one (the leaf) was expected',
      fix: "Pass only the receiver's own certificate (the leaf, usually the first block); leave the CA certificates out.",
    },
    CPI_PKI_NOT_A_CERTIFICATE: {
      summary: 'The PEM block is not an X.509 certificate',
      fix: 'Pass a block labelled CERTIFICATE. A CERTIFICATE REQUEST must first be signed by a CA; a PUBLIC KEY has no certificate around it.',
    },
    CPI_PKI_PEM_BASE64_INVALID: {
      summary: 'The base64 text inside the PEM block is damaged',
      fix: 'Copy the certificate again from its source without changing it; check for lost, added or replaced characters.',
    },
    CPI_PKI_CERTIFICATE_UNREADABLE: {
      summary: 'The certificate cannot be read as X.509',
      fix: 'Export the certificate again from its source as PEM, and check it with `openssl x509 -in cert.pem -noout -text`.',
    },
    CPI_PKI_CERT_NOT_YET_VALID: {
      summary: 'The certificate is not valid yet',
      fix: "Wait until the certificate's validFrom time, or issue a certificate whose validity starts now or earlier.",
    },
    CPI_PKI_CERT_EXPIRED: {
      summary: 'The certificate has expired',
      fix: 'Issue a new certificate (a new key pair) for the receiver and use that one.',
    },
    CPI_PKI_CERT_EXPIRING_SOON: {
      summary: 'The certificate expires soon',
      fix: 'Plan its renewal now, or use a certificate that is valid for longer.',
    },
    CPI_PKI_CERT_VALIDITY_TOO_SHORT: {
      summary: 'The new certificate has less validity left than the minimum required',
      fix: 'Use a certificate valid for longer (ask the receiver for one), or lower min_validity_days (at least 1) if a short-lived certificate is intended.',
    },
    CPI_PKI_KEY_TYPE_UNSUITABLE: {
      summary: "The certificate's key type cannot be used to encrypt for the receiver",
      fix: 'Use a certificate with an RSA key (2048 bits or more) for WS-Security encryption.',
    },
    CPI_PKI_RSA_KEY_TOO_SMALL: {
      summary: "The certificate's RSA key is too small",
      fix: 'Generate a new key pair with at least 2048 bits (3072 or 4096 recommended) and issue its certificate.',
    },
    CPI_PKI_NO_KEY_ENCIPHERMENT: {
      summary: "The certificate's key usage does not allow key encipherment",
      fix: 'Issue a certificate whose key usage includes keyEncipherment (or that has no key usage extension at all).',
    },
    CPI_PKI_RENEWAL_SAME_CERTIFICATE: {
      summary: 'The new certificate is the old certificate (same thumbprint)',
      fix: 'Hand over the new certificate created for the renewal, not the one the tenant already holds.',
    },
    CPI_PKI_RENEWAL_SAME_ISSUER_SERIAL: {
      summary: 'The new certificate has the same issuer and serial number as the old one',
      fix: 'Issue the new certificate with a fresh serial number; a receiver that picks its key by issuer and serial cannot tell the two apart.',
    },
    CPI_PKI_RENEWAL_SAME_SKI: {
      summary: 'The new certificate has the same subject key identifier as the old one',
      fix: 'Issue the new certificate with the subject key identifier of its own public key; a receiver that picks its key by SKI cannot tell the two apart.',
    },
    CPI_PKI_RENEWAL_SAME_KEY: {
      summary: 'The new certificate is for the same public key as the old one (a re-certification, not a key renewal)',
      fix: 'Generate a new key pair for the receiver. If re-certifying the same key is intended, allow it explicitly (allowSameKey / allow_same_key).',
    },
    CPI_PKI_RENEWAL_SHORTER_VALIDITY: {
      summary: 'The new certificate expires no later than the old one',
      fix: 'Check that the right certificate was handed over; a renewal normally extends the validity.',
    },
    CPI_PKI_KEY_PAIR_OPTIONS_INVALID: {
      summary: 'The options for generating a key pair and certificate are invalid',
      fix: 'Correct the named option as the message describes.',
    },
    CPI_PKI_SUBJECT_INVALID: {
      summary: 'The subject distinguished name is invalid',
      fix: 'Write the subject as comma-separated TYPE=value pairs, most specific first, e.g. CN=receiver,O=Example,C=DE; escape a comma inside a value as \\,.',
    },
    CPI_PKI_PRIVATE_KEY_INVALID: {
      summary: 'The private key cannot be read',
      fix: 'Pass an unencrypted RSA private key as PEM (PRIVATE KEY or RSA PRIVATE KEY block).',
    },
    CPI_PKI_KEY_CERTIFICATE_MISMATCH: {
      summary: 'The private key does not belong to the certificate',
      fix: 'Pair each certificate with the private key it was issued for.',
    },
    CPI_PKI_PKCS12_ENTRY_INVALID: {
      summary: 'A PKCS#12 keystore entry is invalid',
      fix: 'Give every entry a non-empty alias, unique within the keystore (case-insensitively, as Java compares aliases).',
    },
    CPI_PKI_PKCS12_PASSWORD: {
      summary: 'The PKCS#12 keystore password is wrong',
      fix: 'Use the password the keystore was written with.',
    },
    CPI_PKI_PKCS12_INVALID: {
      summary: 'The file is not a PKCS#12 keystore this tool can read',
      fix: 'Pass a PKCS#12 (.p12/.pfx) file with RSA key entries; convert a JKS with `keytool -importkeystore -deststoretype PKCS12`.',
    },
    // --- tenant client (src/tenant) ---
    CPI_TENANT_UNAUTHORIZED: {
      summary: 'The tenant rejected the credentials (HTTP 401)',
      fix: 'Check the user and password, or the service key (client id, client secret, token URL) of the tenant connection; a service key must come from a Process Integration Runtime instance with plan "api".',
    },
    CPI_TENANT_FORBIDDEN: {
      summary: 'The tenant user lacks the role needed for this request (HTTP 403)',
      fix: 'Assign the role named in the message to the user or to the service instance of the tenant connection (MonitoringDataRead to read, SecurityMaterialEdit to change the keystore, WorkspaceArtifactsDeploy to deploy or undeploy), then re-run.',
    },
    CPI_TENANT_NOT_FOUND: {
      summary: 'The tenant has no such object (HTTP 404)',
      fix: 'Check the alias or iFlow id in the message; create the object first, or remove it from the configuration.',
    },
    CPI_TENANT_ALIAS_EXISTS: {
      summary: 'The keystore already holds an entry under this alias',
      fix: 'Import the existing entry into Terraform state, or exchange the certificate in place (update=true), or choose another alias.',
    },
    CPI_TENANT_CERTIFICATE_UNTRUSTED: {
      summary: 'The tenant could not build a trust path for the certificate (HTTP 409)',
      fix: 'Compare the certificate fingerprint with the one the receiver administrator gave you; once it matches, send it again with fingerprintVerified=true.',
    },
    CPI_TENANT_ALIAS_RESERVED: {
      summary: 'The alias belongs to SAP and cannot be changed or deleted by the tenant administrator',
      fix: 'Use a tenant-owned alias: not hcicertificate, hcicertificate1, hcimsgcertificate, and not starting with sap_.',
    },
    CPI_TENANT_PAYLOAD_TOO_LARGE: {
      summary: 'The tenant refused the request body as too large, or the keystore is full (HTTP 413)',
      fix: 'Send a single certificate (the tenant accepts at most 10 kB), or delete unused keystore entries (the keystore holds at most 6 MB).',
    },
    CPI_TENANT_REQUEST_REJECTED: {
      summary: 'The tenant rejected the request as invalid (HTTP 400 or 415)',
      fix: 'Read the tenant message in the error; correct the value it names (for a certificate: a single X.509 certificate in PEM or DER).',
    },
    CPI_TENANT_RATE_LIMITED: {
      summary: 'The tenant kept answering "too many requests" (HTTP 429) after every retry',
      fix: 'Lower requests_per_second of the tenant connection, run fewer Terraform operations in parallel (-parallelism), or retry later.',
    },
    CPI_TENANT_SERVER_ERROR: {
      summary:
        'The tenant answered with a server error after every retry (HTTP 5xx), e.g. the keystore is locked by another user',
      fix: 'Wait until the other change on the keystore has finished, then re-run; if it persists, check the tenant health with SAP.',
    },
    CPI_TENANT_UNREACHABLE: {
      summary: 'The tenant could not be reached (wrong URL, DNS, TLS, connection refused or timed out)',
      fix: 'Check tenant_url (the "url" of the service key), network access and proxies; for a private CA set ca_certificate_pem; raise timeout_ms if the tenant is slow.',
    },
    CPI_TENANT_SERVICE_KEY_INVALID: {
      summary: 'The service key is not a valid Cloud Integration API service key',
      fix: 'Paste the whole JSON of a service key of a Process Integration Runtime instance with plan "api" and key type ClientId/Secret; it needs url, tokenurl, clientid and clientsecret (at top level or under "oauth").',
    },
    CPI_TENANT_DEPLOY_FAILED: {
      summary: 'The tenant could not deploy or start the integration flow',
      fix: 'Read the tenant error text in the message, fix the integration flow (or its configuration) in the tenant, then re-run.',
    },
    CPI_TENANT_DEPLOY_TIMEOUT: {
      summary: 'The integration flow did not reach a final state (STARTED or ERROR) in time',
      fix: 'Raise the deployment timeout, or check the iFlow status in the tenant monitor, then re-run.',
    },
    CPI_TENANT_UNEXPECTED_RESPONSE: {
      summary: 'The tenant answered in a way the client does not understand',
      fix: 'Check that tenant_url points at the Cloud Integration API (…/api/v1); if it does, report the message text as a bug.',
    },
    // --- renewal status (src/renewal/renewal-status.ts, src/cli/status-command.ts) ---
    CPI_STATUS_NO_RENEWAL: {
      summary: 'The cdktf output directory holds no synthesized renewal (or not the one asked for)',
      fix: 'Run `cdktf synth` first, and pass its output directory with --outdir; with --renewal, give one of the renewal ids the message lists.',
    },
    CPI_STATUS_STACK_UNREADABLE: {
      summary: 'A synthesized stage stack cannot be read by `cpi-renewal status`',
      fix: 'Synthesize again with `cdktf synth`; status reads the renewal manifest (renewal-<id>.json) and the stacks the EncryptionCertificateRenewal construct writes beside it.',
    },
    CPI_STATUS_STATE_UNREADABLE: {
      summary: 'The state of a stage cannot be read through terraform by `cpi-renewal status`',
      fix: "Run `terraform init` in the named stack directory, or `cpi-renewal status --init` (status runs `terraform state pull` there, so any backend works, with the backend's credentials from the environment, e.g. PG_CONN_STR); if terraform reports a damaged state, restore it from its backup.",
    },
    // --- cpi-renewal confirm (src/cli/confirm-command.ts) ---
    CPI_CONFIRM_RENEWAL_UNKNOWN: {
      summary:
        '`cpi-renewal confirm` cannot check the confirmation: the cdktf output directory holds no manifest of this renewal',
      fix: 'Run `cdktf synth` in the project first (confirm reads cdktf.out/renewal-<id>.json; pass --outdir for another output directory), and check --renewal against the ids the message lists. For a cpi_renewal_gate written in plain HCL, with no construct and so no manifest, pass --unchecked.',
    },
    CPI_CONFIRM_GATE_UNKNOWN: {
      summary: 'The renewal has no gate of that name, so no gate would ever read the confirmation',
      fix: 'Use one of the gate names the message lists (the name of the stage the gate opens, e.g. exchange-certificate; rollback gates start with rollback-), as the closed gate or the runbook prints it.',
    },
    CPI_CONFIRM_PARTY_NOT_ASKED: {
      summary: 'The gate does not take a confirmation from that party, so the confirmation would never count',
      fix: 'Confirm as one of the parties the message lists for that gate; a gate that takes no confirmation at all opens on its other evidence (probe, tenant alias, iFlow state, time).',
    },
    // --- renewal gates (src/renewal) ---
    CPI_GATE_CLOSED: {
      summary: 'The gate in front of this stage is closed: the evidence it waits for is not there yet',
      fix: 'The party named in the message must act first (run the `cpi-renewal confirm` command shown and commit the file, or finish their own stage so that the evidence appears); then plan this stage again.',
    },
    CPI_GATE_CONFIRMATION_MALFORMED: {
      summary: 'A gate confirmation file cannot be read',
      fix: 'Correct the named file as the message describes, or delete it and write it again with `cpi-renewal confirm`.',
    },
    CPI_GATE_SIGNERS_INVALID: {
      summary:
        "A renewal's confirmation signers (allowed_signers text) cannot be read, or a party who must confirm has none",
      fix: 'Give each party whose confirmation a gate asks for its SSH public keys in allowed_signers form, one per line: `<person pattern> [namespaces="cpi-renewal-confirmation"] ssh-ed25519 AAAA…` (ed25519, RSA of 2048 bits or more, or ECDSA; times as YYYYMMDDZ). See docs/signed-confirmations.md.',
    },
    CPI_GATE_SIGNING_FAILED: {
      summary: '`cpi-renewal confirm --sign-with` could not sign the confirmation with ssh-keygen',
      fix: 'Check that ssh-keygen (OpenSSH 8.1 or later) is installed and that --sign-with names your private key file, or a public key file whose private key is in ssh-agent; the message quotes what ssh-keygen said. Nothing was written.',
    },
    CPI_GATE_NO_EVIDENCE: {
      summary: 'The gate names no evidence to wait for',
      fix: 'Give the gate at least one `requirement` block (kind confirmation, probe, tenant_alias, iflow_state or not_before).',
    },
    // --- receiver (src/receiver) ---
    CPI_RECEIVER_KEY_NAME_INVALID: {
      summary: 'The receiver key name is not valid',
      fix: 'Use 1 to 64 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter or digit (Java lower-cases PKCS#12 aliases, so upper case would not survive a round trip).',
    },
    CPI_RECEIVER_KEY_EXISTS: {
      summary: 'The receiver already holds a key under this name',
      fix: 'Choose another key_name; a key name is never reused, so that every certificate handed to the tenant maps to exactly one key.',
    },
    CPI_RECEIVER_KEY_NOT_FOUND: {
      summary: 'The receiver holds no key under this name',
      fix: 'Check key_name and the receiver block (which backend, which keystore files or URL); list the keys with the cpi_receiver_keyring data source.',
    },
    CPI_RECEIVER_KEY_MISSING: {
      summary: 'A key under retention disappeared from the receiver (deleted or replaced out of band)',
      fix: "Restore the key from the keystore backup (<file>.bak) or the receiver's backups; if it is really gone, record why and remove it from state with `terraform state rm <address>`. It is not recreated silently, because a new key could not decrypt messages sent for the old certificate.",
    },
    CPI_RECEIVER_KEY_DELETED: {
      summary:
        'The key is deleted, the end of its lifecycle: it cannot become pending, active or retired again, and no key is created deleted',
      fix: 'A deleted key cannot come back, so a rollback that needs it is no longer possible; generate a new key under a new name. Declare `state = "deleted"` only for a key the receiver holds (applying it deletes the key); a new key starts pending, active or retired.',
    },
    CPI_RECEIVER_RETENTION_TOO_SHORT: {
      summary: 'The retention of a retired key ends less than 90 days after its retirement',
      fix: 'Set retain_until at least 90 days after the key is (or was) retired, or leave it unset to get exactly 90 days; old keys must stay available for 90 days after the exchange.',
    },
    CPI_RECEIVER_KEY_RETAINED: {
      summary: 'The key may not be deleted yet: it is active, or retired and still under retention',
      fix: 'Wait until retain_until has passed (retire an active key first). If the key must go early (e.g. it is compromised), set early_destruction_reason, apply, and then destroy; the reason is recorded by the receiver.',
    },
    CPI_RECEIVER_KEYSTORE_UNREADABLE: {
      summary: 'A receiver keystore or its metadata file cannot be read',
      fix: 'Check the path and the password environment variable; if the file is damaged, restore it from <file>.bak, which holds the previous version.',
    },
    CPI_RECEIVER_KEYSTORE_LOCKED: {
      summary: 'Another process is changing the receiver keystore (its lock file is held)',
      fix: 'Wait for the other run to finish and retry. If no other process runs, delete the lock file named in the message.',
    },
    CPI_RECEIVER_UNREACHABLE: {
      summary: 'The receiver admin API could not be reached',
      fix: 'Check receiver.url and that the receiver is running (e.g. `cpi-renewal emulator`); it listens on loopback only.',
    },
    CPI_RECEIVER_UNAUTHORIZED: {
      summary: 'The receiver admin API refused the admin token',
      fix: "Put the receiver's admin token into the environment variable named by receiver.admin_token_env (default CPI_RECEIVER_ADMIN_TOKEN).",
    },
    CPI_RECEIVER_REQUEST_REJECTED: {
      summary: 'The receiver admin API rejected the request',
      fix: "Read the receiver's message in the error and correct the value it names.",
    },
    CPI_RECEIVER_STATE_UNREADABLE: {
      summary: 'The embedded receiver cannot read its saved state in the data directory',
      fix: 'Restore the named file from its .bak copy, or point the receiver at an empty data directory to start afresh (its keys are then lost).',
    },
    // --- expiry scan and renewal proposals (src/scan, src/cli/scan-command.ts, src/cli/propose-command.ts) ---
    CPI_SCAN_FLEET_INVALID: {
      summary: 'The fleet file (tenants and receivers to scan) is invalid',
      fix: 'Correct the named field of the fleet file as the message describes (docs/scan.md shows its form).',
    },
    CPI_SCAN_RENEW_BEFORE_INVALID: {
      summary: 'The renew-before window is not a number of days',
      fix: 'Give it as whole days with a `d`, e.g. `--renew-before 30d`, or leave it out for the last third of the validity.',
    },
    CPI_SCAN_TENANT_FAILED: {
      summary: 'A tenant or one of its receivers could not be scanned',
      fix: 'Check the tenant URL and the credentials in the environment (the message names the tenant and the cause), then scan again.',
    },
    CPI_PROPOSE_ALIAS_UNKNOWN: {
      summary: 'The alias to propose a renewal for is not an encryption certificate that deployed iFlows use',
      fix: 'Pick an alias from `cpi-renewal scan`; give --tenant when the fleet file lists several tenants.',
    },
    CPI_PROPOSE_TARGET_INVALID: {
      summary: 'The renewal cannot be proposed as asked (tenant, receiver or target directory)',
      fix: 'Correct the named option or fleet file entry as the message describes.',
    },
    // --- emulator (src/emulator) ---
    CPI_EMULATOR_CONFIG_INVALID: {
      summary: 'The tenant emulator configuration is invalid',
      fix: 'Correct the named field of the emulator configuration (file or options) as the message describes.',
    },
    CPI_EMULATOR_STATE_UNREADABLE: {
      summary: 'The tenant emulator cannot read its saved state in the data directory',
      fix: 'Restore the named state file from a backup, or point the emulator at an empty data directory to start afresh.',
    },
    // --- emulator message path (src/emulator/message-*) ---
    CPI_EMULATOR_IFLOW_UNKNOWN: {
      summary: 'A message was posted to the sender endpoint of an iFlow the emulated tenant does not have',
      fix: "Post to /http/<iFlow id> with the id of a configured iFlow (see the emulator configuration's iflows).",
    },
    CPI_EMULATOR_IFLOW_NOT_STARTED: {
      summary: 'The iFlow is not deployed and started, so it sends nothing',
      fix: 'Deploy the iFlow and wait for runtime status STARTED; during an agreed downtime (variant B) this answer is expected.',
    },
    CPI_EMULATOR_MESSAGE_NOT_BUILT: {
      summary: 'The iFlow could not sign and encrypt the message, so nothing was sent',
      fix: "Check the named keystore alias: the channel's public key alias must hold a valid certificate and its signing alias a key pair; a posted body must be well-formed XML.",
    },
    CPI_EMULATOR_RECEIVER_UNREACHABLE: {
      summary: 'The iFlow built the message but the receiver did not answer',
      fix: "Start the receiver at the channel's receiver URL (or correct Receiver_Address and redeploy), then send again.",
    },
    // --- wssecurity (src/wssecurity) ---
    CPI_WSS_INVALID_OPTION: {
      summary: 'A WS-Security option is not valid',
      fix: 'Correct the named option (key identifier form, algorithm suite, key or certificate PEM) as the message describes.',
    },
    CPI_WSS_CERTIFICATE_NOT_VALID: {
      summary: 'The receiver certificate to encrypt for is not valid now',
      fix: 'Put a certificate that is valid now under the alias (renew it), or check the clock of the sending system.',
    },
    CPI_WSS_MALFORMED_MESSAGE: {
      summary: 'The message is not well-formed XML or not a SOAP envelope with the expected WS-Security parts',
      fix: 'Check what the sender sent; the detail names the first problem found.',
    },
    CPI_WSS_DOCTYPE_FORBIDDEN: {
      summary: 'The message contains a DOCTYPE declaration, which SOAP forbids (XXE protection)',
      fix: 'Send the message without a DOCTYPE; a legitimate SOAP stack never adds one.',
    },
    CPI_WSS_DUPLICATE_ID: {
      summary: 'Two elements of the message carry the same ID (signature wrapping protection)',
      fix: 'Make every Id / wsu:Id in the message unique; a message that reuses IDs is refused as a possible attack.',
    },
    CPI_WSS_SECURITY_HEADER: {
      summary: 'The message has no wsse:Security header, or more than one',
      fix: "Send exactly one wsse:Security header, as the channel's WS-Security configuration produces.",
    },
    CPI_WSS_BAD_REFERENCE: {
      summary: 'A reference in the WS-Security header does not point at the kind of element it must',
      fix: 'Each DataReference must point at an xenc:EncryptedData and each token reference at a token of this message; check the sender.',
    },
    CPI_WSS_UNSUPPORTED_ALGORITHM: {
      summary: 'The message uses an algorithm this receiver does not support',
      fix: 'Configure the sender for RSA-OAEP key transport and AES-GCM or AES-CBC content encryption.',
    },
    CPI_WSS_INSECURE_KEY_TRANSPORT: {
      summary: 'The message uses RSA PKCS#1 v1.5 key transport (rsa-1_5), which is refused by default',
      fix: 'Switch the sender to RSA-OAEP (e.g. the Basic256 algorithm suite); only if that is impossible set allowRsa15 on the receiver.',
    },
    CPI_WSS_NO_MATCHING_KEY: {
      summary: 'No private key of the receiver matches the certificate the message was encrypted for',
      fix: 'The sender used a certificate whose key this receiver does not hold (retired, removed or not yet installed): compare the requested certificate with the receiver keyring and the tenant alias.',
    },
    CPI_WSS_DECRYPTION_FAILED: {
      summary: 'The encrypted key or data could not be decrypted (truncated, garbled or made for another key)',
      fix: 'Check that the message was not changed in transit and that sender and receiver use the same certificate.',
    },
    CPI_WSS_SIGNATURE_MISSING: {
      summary: 'The message is not signed, but a signature is required',
      fix: 'Configure the sender to sign and encrypt, or allow unsigned messages on the receiver.',
    },
    CPI_WSS_SIGNATURE_INVALID: {
      summary: 'The message signature does not verify',
      fix: 'The message was changed after signing or signed with another key; check the sender and the pinned signer certificate.',
    },
    CPI_WSS_SIGNER_NOT_TRUSTED: {
      summary: 'The message was signed by a certificate that is not pinned as trusted',
      fix: "Pin the sender's signing certificate on the receiver, or check why the sender signs with another one.",
    },
    CPI_WSS_BODY_NOT_SIGNED: {
      summary: 'The signature does not cover the SOAP Body of this message (signature wrapping protection)',
      fix: 'Sign the soap:Body itself (by its wsu:Id); a signature over any other element does not authenticate the body.',
    },
    CPI_WSS_TIMESTAMP_INVALID: {
      summary:
        'The message timestamp is missing, not exactly one signed wsu:Timestamp in wsse:Security, too old, expired or in the future',
      fix: 'Have the sender add a signed Timestamp (CPI does with "Sign and Encrypt"); check the clocks of sender and receiver.',
    },
    CPI_URL_NOT_HTTPS: {
      summary:
        'A URL that would receive credentials (tenant, token endpoint, receiver admin API) is plain http to a remote host',
      fix: 'Use the https:// URL of that service; plain http is accepted only to localhost, 127.0.0.1 or [::1] (the emulators).',
    },
    CPI_SECRET_ENV_NAME_INVALID: {
      summary:
        'A receiver secret is to be read from an environment variable outside the documented prefix CPI_RECEIVER_',
      fix: 'Put the receiver password or admin token into a variable named CPI_RECEIVER_<NAME> and name that one (or leave the attribute unset for the default).',
    },
    CPI_WSS_REPLAYED: {
      summary: 'The message (its signature) was received before: a replay',
      fix: 'Send a new message; a sender that retries must sign again (CPI does, with a fresh Timestamp).',
    },
    CPI_WSS_MESSAGE_LIMIT: {
      summary:
        'The message exceeds a receiver limit (size, depth, elements, namespace declarations, EncryptedKeys, replay cache)',
      fix: 'Check the sender; raise the named limit in the receiver options only for a sender you trust to need it.',
    },
    CPI_WSS_LEGACY_ALGORITHM: {
      summary: 'The message uses 3DES or SHA-1, which the receiver accepts only with its legacy option',
      fix: 'Configure the sender for AES and SHA-256 (e.g. CPI algorithm suite Basic256Sha256), or enable allowLegacyAlgorithms for this sender.',
    },
    // --- constructs (constructs/) ---
    CPI_CONSTRUCTS_PROPS_INVALID: {
      summary: 'A construct property is not valid',
      fix: 'Correct the named property of the construct as the message describes, then run `cdktf synth` again.',
    },
    CPI_CONSTRUCTS_RETENTION_TOO_SHORT: {
      summary: 'The retention period of the old key is shorter than 90 days',
      fix: 'Set retentionDays to 90 or more: SAP requires old keys to be kept at least 90 days after the exchange.',
    },
    CPI_CONSTRUCTS_ALIAS_RENEWED_TWICE: {
      summary: 'Two renewals in one app exchange the certificate under the same tenant alias',
      fix: 'Keep one renewal per alias: finish (or remove) the first renewal before declaring the next, or correct the alias of one of them.',
    },
    CPI_CONSTRUCTS_WINDOW_INVALID: {
      summary: 'The downtime window of a single-key renewal is missing or not a valid time range',
      fix: 'Give downtimeWindow.start and downtimeWindow.end as ISO 8601 times with a zone (e.g. 2026-03-01T22:00:00Z), start before end, as both administrators agreed.',
    },
    CPI_CONSTRUCTS_SPEC_INVALID: {
      summary: 'The renewal spec file cannot be read',
      fix: 'Pass a JSON file whose fields are those of EncryptionCertificateRenewalProps (renewalId, variant, alias, iflowIds, newKey, oldKeyName, receiver, …).',
    },
  });

export type ErrorCode = keyof ReturnType<typeof errorTable>;

let table: Readonly<Record<ErrorCode, ErrorSpec>> | undefined;

/** Every code with its summary and fix (docs/errors.md is generated from it). */
export function errorRegistry(): Readonly<Record<ErrorCode, ErrorSpec>> {
  return (table ??= errorTable());
}

/** An error a user can act on: a stable code, the specific detail, and optionally the attribute it concerns. */
export class CpiError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  /** Attribute path (e.g. ['certificate_pem']) that Terraform maps back to a source line. */
  readonly attribute: readonly (string | number)[] | undefined;

  constructor(code: ErrorCode, detail: string, attribute?: readonly (string | number)[]) {
    const spec = errorRegistry()[code];
    super(`${code}: ${spec.summary}: ${detail}`);
    this.name = 'CpiError';
    this.code = code;
    this.detail = detail;
    this.attribute = attribute;
  }

  /** What the user should do: the registry's advice for this code. */
  get fix(): string {
    return errorRegistry()[this.code].fix;
  }
}

export function isCpiError(error: unknown): error is CpiError {
  return error instanceof CpiError;
}
