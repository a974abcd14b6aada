package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The fixture inputs rebuilt in Java are bit-identical to those gen_fid_vectors.py computed its
 * expectations from: a change to either recipe fails here, naming the input that drifted.
 */
class FidVectorsTest {

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static byte[] le(double[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(v);
    return b.array();
  }

  private static byte[] le(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  private static void check(String input, byte[] bytes) throws Exception {
    assertEquals(FidVectors.text("input." + input + ".sha256"), sha256(bytes),
        input + " differs from what gen_fid_vectors.py generated");
  }

  private static String first3(long tag) {
    return Long.toUnsignedString(FixtureRandom.raw(tag, 0)) + " "
        + Long.toUnsignedString(FixtureRandom.raw(tag, 1)) + " "
        + Long.toUnsignedString(FixtureRandom.raw(tag, 2));
  }

  @Test
  void streamMatchesSplitmix64AndThePythonStream() {
    // State 0 is splitmix64's published vector: 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, ...
    assertEquals(0xE220A8397B1DCDAFL, FixtureRandom.raw(-FixtureRandom.SALT, 0));
    assertEquals(FidVectors.text("stream.first3"), first3(-FixtureRandom.SALT));
    assertEquals(FidVectors.text("stream.tag1.first3"), first3(1));
  }

  @Test
  void exactCovarianceInputsMatchPython() throws Exception {
    for (String name : new String[] {"a1_d8", "a2_d64", "a3_d256", "a4_d2048"}) {
      FidVectors.ACase c = FidVectors.a(name);
      check(name + ".H1", c.h1());
      check(name + ".H2", c.h2());
      check(name + ".mu1", le(c.mu1()));
      check(name + ".mu2", le(c.mu2()));
    }
  }

  @Test
  void rawFeatureInputsMatchPython() throws Exception {
    for (String name : new String[] {"b1_500x64", "b2_3000x256"}) {
      FidVectors.BCase c = FidVectors.b(name);
      check(name + ".X1", le(c.x1()));
      check(name + ".X2", le(c.x2()));
    }
  }

  @Test
  void probabilitiesMatchPython() throws Exception {
    check("c.probs", le(FidVectors.probabilities()));
  }

  @Test
  void precisionRecallPointSetsMatchPython() throws Exception {
    check("d.reference", le(FidVectors.prReference()));
    check("d.samples", le(FidVectors.prSamples()));
  }

  @Test
  void exactCovarianceTracesAreTheRecordedOnes() {
    for (String name : new String[] {"a1_d8", "a2_d64", "a3_d256"}) {
      FidVectors.ACase c = FidVectors.a(name);
      for (int which = 1; which <= 2; which++) {
        Gaussian g = c.gaussian(which);
        assertEquals(FidVectors.expected(name + ".trace_sigma" + which), g.trace(), 0.0, name);
      }
    }
  }
}
