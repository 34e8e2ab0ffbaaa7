// Test harness around Apache WSS4J 1.6 (Debian package libwss4j-java), the WS-Security stack family the SAP
// tenant runtime uses. Compiled at test time by test/wssecurity/wss4j.test.ts; not shipped.
//
//   send    --keystore signer.p12 --storepass PW --alias ALIAS --enc-cert receiver.pem --key-id FORM
//           --sym URI --kt URI [--digest URI] --in envelope.xml --out secured.xml [--repeat N]
//           Timestamp + Signature (RSA-SHA256, exc-c14n, BST) over Body and Timestamp, then Body content
//           encrypted for the receiver certificate (what CPI's "Sign and Encrypt" does).
//   receive --keystore receiver.p12 --storepass PW --trust signer.pem --in secured.xml --out plain.xml [--repeat N]
//           Verifies and decrypts; prints one line per WSS4J result (action, certificate, signed/encrypted parts).
//           --trust keystore: the signer is trusted through the receiver keystore's own trustedCertEntry.
//
//   batch   SCRIPT
//           Runs many jobs in one JVM (start-up dominates otherwise): each line of SCRIPT holds one job's
//           arguments separated by tabs; output lines are prefixed "[line] ", each job ends with OK or ERROR.
//
// FORM is IssuerSerial | BinarySecurityToken | SubjectKeyIdentifier | Thumbprint. With --repeat the work is
// done N times and "elapsed-ms=<n>" is printed (for bench/wssecurity.ts); PKCS#12 keystores are read once per
// job, as a server reads them at start-up (WSS4J's Merlin still unlocks the private key for every message).
import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.apache.ws.security.WSConstants;
import org.apache.ws.security.WSDataRef;
import org.apache.ws.security.WSEncryptionPart;
import org.apache.ws.security.WSPasswordCallback;
import org.apache.ws.security.WSSecurityEngine;
import org.apache.ws.security.WSSecurityEngineResult;
import org.apache.ws.security.components.crypto.Merlin;
import org.apache.ws.security.message.WSSecEncrypt;
import org.apache.ws.security.message.WSSecHeader;
import org.apache.ws.security.message.WSSecSignature;
import org.apache.ws.security.message.WSSecTimestamp;
import org.w3c.dom.Document;

public final class Wss4jTool {
  private static final String SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/";
  private static final String WSU =
      "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

  public static void main(String[] argv) throws Exception {
    if (argv[0].equals("batch")) {
      // One JVM for many jobs: each line of the script is one job's arguments, tab-separated.
      List<String> lines = Files.readAllLines(Paths.get(argv[1]));
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).isEmpty()) continue;
        try {
          for (String line : runJob(lines.get(i).split("\t"))) System.out.println("[" + i + "] " + line);
          System.out.println("[" + i + "] OK");
        } catch (Exception e) {
          Throwable root = e;
          while (root.getCause() != null) root = root.getCause();
          System.out.println("[" + i + "] ERROR " + e + " / " + root);
        }
      }
      return;
    }
    for (String line : runJob(argv)) System.out.println(line);
  }

  static List<String> runJob(String[] argv) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 1; i + 1 < argv.length; i += 2) a.put(argv[i], argv[i + 1]);
    int repeat = Integer.parseInt(a.getOrDefault("--repeat", "1"));
    LOADED.clear();
    byte[] input = Files.readAllBytes(Paths.get(a.get("--in")));
    long start = System.nanoTime();
    Document out = null;
    List<String> report = new ArrayList<>();
    for (int i = 0; i < repeat; i++) {
      report.clear();
      Document doc = parse(input);
      switch (argv[0]) {
        case "send": out = send(doc, a); break;
        case "receive": out = receive(doc, a, report); break;
        default: throw new IllegalArgumentException("unknown command " + argv[0]);
      }
    }
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    write(out, a.get("--out"));
    if (a.containsKey("--repeat")) report.add("elapsed-ms=" + elapsedMs);
    return report;
  }

  static Document send(Document doc, Map<String, String> a) throws Exception {
    Merlin signCrypto = new Merlin();
    signCrypto.setKeyStore(loadPkcs12(a.get("--keystore"), a.get("--storepass")));
    Merlin encCrypto = new Merlin();
    encCrypto.setKeyStore(emptyKeyStore());

    WSSecHeader header = new WSSecHeader();
    header.setMustUnderstand(true);
    header.insertSecurityHeader(doc);

    WSSecTimestamp timestamp = new WSSecTimestamp();
    timestamp.setTimeToLive(300);
    timestamp.build(doc, header);

    WSSecSignature signature = new WSSecSignature();
    signature.setUserInfo(a.get("--alias"), a.get("--storepass"));
    signature.setKeyIdentifierType(WSConstants.BST_DIRECT_REFERENCE);
    signature.setSignatureAlgorithm("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    signature.setDigestAlgo("http://www.w3.org/2001/04/xmlenc#sha256");
    signature.setSigCanonicalization(WSConstants.C14N_EXCL_OMIT_COMMENTS);
    List<WSEncryptionPart> signed = new ArrayList<>();
    signed.add(new WSEncryptionPart("Body", SOAP11, ""));
    signed.add(new WSEncryptionPart("Timestamp", WSU, ""));
    signature.setParts(signed);
    signature.build(doc, signCrypto, header);

    WSSecEncrypt encrypt = new WSSecEncrypt();
    encrypt.setUseThisCert(readCertificate(a.get("--enc-cert")));
    encrypt.setKeyIdentifierType(keyIdentifier(a.get("--key-id")));
    encrypt.setSymmetricEncAlgorithm(a.get("--sym"));
    encrypt.setKeyEncAlgo(a.get("--kt"));
    if (a.containsKey("--digest")) encrypt.setDigestAlgorithm(a.get("--digest"));
    List<WSEncryptionPart> encrypted = new ArrayList<>();
    encrypted.add(new WSEncryptionPart("Body", SOAP11, "Content"));
    encrypt.setParts(encrypted);
    encrypt.build(doc, encCrypto, header);
    return doc;
  }

  static Document receive(Document doc, Map<String, String> a, List<String> report) throws Exception {
    String password = a.get("--storepass");
    Merlin decCrypto = new Merlin();
    decCrypto.setKeyStore(loadPkcs12(a.get("--keystore"), password));
    Merlin sigCrypto = new Merlin();
    KeyStore trust;
    if (a.get("--trust").equals("keystore")) {
      // The receiver keeps its trust anchors (trustedCertEntry) in its own keystore.
      trust = loadPkcs12(a.get("--keystore"), password);
    } else {
      trust = emptyKeyStore();
      trust.setCertificateEntry("signer", readCertificate(a.get("--trust")));
    }
    sigCrypto.setKeyStore(trust);
    sigCrypto.setTrustStore(trust);
    CallbackHandler passwords = (Callback[] callbacks) -> {
      for (Callback c : callbacks) if (c instanceof WSPasswordCallback) ((WSPasswordCallback) c).setPassword(password);
    };
    WSSecurityEngine engine = new WSSecurityEngine();
    List<WSSecurityEngineResult> results = engine.processSecurityHeader(doc, null, passwords, sigCrypto, decCrypto);
    for (WSSecurityEngineResult r : results) {
      int action = (Integer) r.get(WSSecurityEngineResult.TAG_ACTION);
      StringBuilder line = new StringBuilder(actionName(action));
      X509Certificate cert = (X509Certificate) r.get(WSSecurityEngineResult.TAG_X509_CERTIFICATE);
      if (cert != null) line.append(" cert-sha256=").append(sha256(cert));
      @SuppressWarnings("unchecked")
      List<WSDataRef> refs = (List<WSDataRef>) r.get(WSSecurityEngineResult.TAG_DATA_REF_URIS);
      if (refs != null) {
        line.append(" parts=");
        for (WSDataRef ref : refs) line.append(ref.getName().getLocalPart()).append(',');
      }
      report.add(line.toString());
    }
    return doc;
  }

  static String actionName(int action) {
    if (action == WSConstants.SIGN) return "SIGN";
    if (action == WSConstants.ENCR) return "ENCR";
    if (action == WSConstants.TS) return "TS";
    if (action == WSConstants.BST) return "BST";
    return "ACTION-" + action;
  }

  static int keyIdentifier(String form) {
    switch (form) {
      case "IssuerSerial": return WSConstants.ISSUER_SERIAL;
      case "BinarySecurityToken": return WSConstants.BST_DIRECT_REFERENCE;
      case "SubjectKeyIdentifier": return WSConstants.SKI_KEY_IDENTIFIER;
      case "Thumbprint": return WSConstants.THUMBPRINT_IDENTIFIER;
      default: throw new IllegalArgumentException("unknown key identifier form " + form);
    }
  }

  static Document parse(byte[] xml) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
  }

  static void write(Document doc, String path) throws Exception {
    Transformer t = TransformerFactory.newInstance().newTransformer();
    t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
    try (FileOutputStream out = new FileOutputStream(path)) {
      t.transform(new DOMSource(doc), new StreamResult(out));
    }
  }

  // Keystores read during the current job: a server loads them once, so --repeat measures messages, not files.
  private static final Map<String, KeyStore> LOADED = new HashMap<>();

  static KeyStore loadPkcs12(String path, String password) throws Exception {
    String key = path + "\u0000" + password;
    KeyStore loaded = LOADED.get(key);
    if (loaded != null) return loaded;
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(path)) {
      ks.load(in, password.toCharArray());
    }
    LOADED.put(key, ks);
    return ks;
  }

  static KeyStore emptyKeyStore() throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    return ks;
  }

  static X509Certificate readCertificate(String path) throws Exception {
    try (InputStream in = new FileInputStream(path)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  static String sha256(X509Certificate cert) throws Exception {
    byte[] d = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < d.length; i++) s.append(i == 0 ? "" : ":").append(String.format("%02X", d[i]));
    return s.toString();
  }
}
