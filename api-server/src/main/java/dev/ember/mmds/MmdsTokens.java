package dev.ember.mmds;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * MMDS V2 session tokens. A token is its own record: expiry and a nonce, signed with HMAC-SHA256
 * under a key drawn when the authority is created, so validating needs no table a guest could
 * grow. A new authority (every VM start and every snapshot load) has a new key: tokens issued
 * before a snapshot are not valid after its load, as in Firecracker.
 */
final class MmdsTokens {
    static final int MIN_TTL_SECONDS = 1;
    static final int MAX_TTL_SECONDS = 21600;
    /** Tokens longer than this are rejected before decoding (Firecracker's bound). */
    static final int MAX_TOKEN_LENGTH = 70;
    private static final int DATA = 16;
    private static final int TAG = 16;

    private final SecureRandom random = new SecureRandom();
    private final SecretKeySpec key;
    private final LongSupplier nanoClock;

    MmdsTokens(LongSupplier nanoClock) {
        byte[] k = new byte[32];
        random.nextBytes(k);
        this.key = new SecretKeySpec(k, "HmacSHA256");
        this.nanoClock = nanoClock;
    }

    /** A token valid for {@code ttlSeconds} (already checked to be in range). */
    String issue(int ttlSeconds) {
        byte[] t = new byte[DATA + TAG];
        long expiry = nanoClock.getAsLong() + ttlSeconds * 1_000_000_000L;
        for (int i = 0; i < 8; i++) {
            t[i] = (byte) (expiry >>> (56 - 8 * i));
        }
        byte[] nonce = new byte[8];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, t, 8, 8);
        System.arraycopy(tag(t), 0, t, DATA, TAG);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(t);
    }

    boolean valid(String token) {
        if (token == null || token.length() > MAX_TOKEN_LENGTH) {
            return false;
        }
        byte[] t;
        try {
            t = Base64.getUrlDecoder().decode(token.trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (t.length != DATA + TAG) {
            return false;
        }
        byte[] expected = tag(t);
        byte[] given = new byte[TAG];
        System.arraycopy(t, DATA, given, 0, TAG);
        if (!MessageDigest.isEqual(expected, given)) {
            return false;
        }
        long expiry = 0;
        for (int i = 0; i < 8; i++) {
            expiry = expiry << 8 | (t[i] & 0xFF);
        }
        return nanoClock.getAsLong() - expiry < 0;
    }

    private byte[] tag(byte[] t) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(t, 0, DATA);
            byte[] full = mac.doFinal();
            byte[] out = new byte[TAG];
            System.arraycopy(full, 0, out, 0, TAG);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
