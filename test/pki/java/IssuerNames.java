// Java's view of each certificate's issuer name, the oracle for src/pki/distinguished-name.ts:
//   NAME <X500Principal.getName()>        the RFC 2253 form WSS4J writes as ds:X509IssuerName
//   CANONICAL <getName(CANONICAL)>        what X500Principal.equals compares
//   STRING <toString()>                   the form the SAP tenant shows
//   MATCH <i> yes|no|error                for each line i of <file>.names (if present): whether WSS4J 1.6's Merlin
//                                         takes that X509IssuerName for this issuer. Merlin (without BouncyCastle
//                                         on the class path) turns both names into getName() and back into an
//                                         X500Principal, then compares them with equals().
// Output and .names files are ASCII: any other character, and '~', travels as ~uXXXX.
import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.security.auth.x500.X500Principal;

public class IssuerNames {
  public static void main(String[] files) throws Exception {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    for (String file : files) {
      X509Certificate c;
      try (FileInputStream in = new FileInputStream(file)) {
        c = (X509Certificate) factory.generateCertificate(in);
      }
      X500Principal issuer = c.getIssuerX500Principal();
      System.out.println("NAME " + escape(issuer.getName()));
      System.out.println("CANONICAL " + escape(issuer.getName(X500Principal.CANONICAL)));
      System.out.println("STRING " + escape(issuer.toString()));
      Path names = Paths.get(file + ".names");
      if (!Files.exists(names)) continue;
      X500Principal held = new X500Principal(issuer.getName());
      List<String> lines = Files.readAllLines(names, StandardCharsets.US_ASCII);
      for (int i = 0; i < lines.size(); i++) {
        String verdict;
        try {
          X500Principal asked = new X500Principal(new X500Principal(unescape(lines.get(i))).getName());
          verdict = asked.equals(held) ? "yes" : "no";
        } catch (IllegalArgumentException e) {
          verdict = "error";
        }
        System.out.println("MATCH " + i + " " + verdict);
      }
    }
  }

  static String escape(String s) {
    StringBuilder out = new StringBuilder();
    for (char ch : s.toCharArray()) {
      if (ch >= 0x20 && ch < 0x7f && ch != '~') out.append(ch);
      else out.append(String.format("~u%04x", (int) ch));
    }
    return out.toString();
  }

  static String unescape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '~' && i + 5 < s.length() && s.charAt(i + 1) == 'u') {
        out.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
        i += 5;
      } else {
        out.append(s.charAt(i));
      }
    }
    return out.toString();
  }
}
