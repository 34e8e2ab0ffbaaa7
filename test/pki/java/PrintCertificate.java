// Prints what Java (and so WSS4J) sees in each certificate file given: subject and issuer as getName()
// (RFC 2253) and toString() (the form the SAP tenant shows), and the serial number in decimal, tab-separated.
import java.io.FileInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

public class PrintCertificate {
  public static void main(String[] files) throws Exception {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    for (String file : files) {
      try (FileInputStream in = new FileInputStream(file)) {
        X509Certificate c = (X509Certificate) factory.generateCertificate(in);
        System.out.println(String.join("\t",
            c.getSubjectX500Principal().getName(),
            c.getIssuerX500Principal().getName(),
            c.getSubjectX500Principal().toString(),
            c.getSerialNumber().toString()));
      }
    }
  }
}
