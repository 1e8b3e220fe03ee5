package lakehouse.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.security.sasl.AuthenticationException;
import org.apache.hive.service.auth.PasswdAuthenticationProvider;

/**
 * HiveServer2 CUSTOM authentication for the lakehouse's Thrift server: one user, whose name
 * and salted password hash (PBKDF2-HMAC-SHA256) `lakehouse server start` puts in the
 * server's environment. The password itself never reaches this process.
 *
 * <p>LAKEHOUSE_AUTH_USER, LAKEHOUSE_AUTH_SALT (hex), LAKEHOUSE_AUTH_ITERATIONS,
 * LAKEHOUSE_AUTH_HASH (hex, 32 bytes).
 */
public class EnvironmentPasswdAuthenticator implements PasswdAuthenticationProvider {
    private final byte[] user;
    private final byte[] salt;
    private final int iterations;
    private final byte[] expectedHash;

    public EnvironmentPasswdAuthenticator() {
        this.user = required("LAKEHOUSE_AUTH_USER").getBytes(StandardCharsets.UTF_8);
        this.salt = HexFormat.of().parseHex(required("LAKEHOUSE_AUTH_SALT"));
        this.iterations = Integer.parseInt(required("LAKEHOUSE_AUTH_ITERATIONS"));
        this.expectedHash = HexFormat.of().parseHex(required("LAKEHOUSE_AUTH_HASH"));
    }

    private static String required(String name) {
        String value = System.getenv(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalStateException(name + " is not set in the server's environment");
        }
        return value;
    }

    @Override
    public void Authenticate(String user, String password) throws AuthenticationException {
        if (user == null || password == null) {
            throw new AuthenticationException("Authentication failed: user and password required");
        }
        byte[] givenUser = user.getBytes(StandardCharsets.UTF_8);
        // Compare both in constant time, and always hash, so timing tells nothing.
        boolean passwordMatches = MessageDigest.isEqual(hash(password), expectedHash);
        boolean userMatches = MessageDigest.isEqual(givenUser, this.user);
        if (!(passwordMatches & userMatches)) {
            throw new AuthenticationException("Authentication failed for user " + user);
        }
    }

    private byte[] hash(String password) throws AuthenticationException {
        try {
            PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(spec)
                .getEncoded();
        } catch (GeneralSecurityException e) {
            throw new AuthenticationException("Authentication failed: cannot hash", e);
        }
    }
}
