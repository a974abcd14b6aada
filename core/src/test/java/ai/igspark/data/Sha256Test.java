package ai.igspark.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the FIPS 180-2 test vectors. */
class Sha256Test {
  static final String EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  static final String MILLION_A =
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

  @TempDir Path dir;

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void bytesGiveTheKnownLowerCaseDigests() {
    assertEquals(EMPTY, Sha256.of(new byte[0]));
    assertEquals(ABC, Sha256.of(ascii("abc")));
    assertEquals(
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        Sha256.of(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")));
  }

  @Test
  void aStreamIsHashedToItsEnd() throws Exception {
    assertEquals(EMPTY, Sha256.of(new ByteArrayInputStream(new byte[0])));
    byte[] millionA = new byte[1_000_000];
    Arrays.fill(millionA, (byte) 'a');
    assertEquals(MILLION_A, Sha256.of(new ByteArrayInputStream(millionA)));
  }

  @Test
  void aStreamLongerThanOneBlockMatchesTheDigestOfItsBytes() throws Exception {
    byte[] data = new byte[(1 << 20) * 2 + 17];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31 + 7);
    }
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    assertEquals(Sha256.of(data), Sha256.copy(new ByteArrayInputStream(data), copy));
    assertArrayEquals(data, copy.toByteArray());
  }

  @Test
  void aFileIsHashedByPath() throws Exception {
    Path file = dir.resolve("abc.bin");
    Files.write(file, ascii("abc"));
    assertEquals(ABC, Sha256.of(file));
  }

  @Test
  void aMissingFileIsNamedInTheError() {
    Path missing = dir.resolve("missing.pt");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> Sha256.of(missing));
    assertTrue(e.getMessage().startsWith(missing + ": cannot read"), e.getMessage());
  }

  @Test
  void aDigestFedByTheCallerIsFormattedAlike() {
    MessageDigest d = Sha256.newDigest();
    d.update(ascii("ab"));
    d.update(ascii("c"));
    assertEquals(ABC, Sha256.hex(d));
  }
}
