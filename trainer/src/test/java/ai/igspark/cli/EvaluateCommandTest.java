package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.eval.FidVectors;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npz;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluateCommandTest {
  @TempDir Path tmp;

  static Path fixture(String name) {
    try {
      return Path.of(
          EvaluateCommandTest.class.getResource("/fixtures/inception-standin/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static double expected(String key) {
    return Npz.readAll(fixture("expected.npz")).get(key).toDoubles()[0];
  }

  /** mu/sigma of one Gaussian of an exact-covariance case of fixtures/fid-vectors. */
  private Path statsFile(String name, String prefix, int which) {
    FidVectors.ACase c = FidVectors.a(prefix);
    long d = c.d();
    Map<String, HostTensor> arrays = new LinkedHashMap<>();
    arrays.put("mu", HostTensor.ofDoubles(new long[] {d}, c.mu(which)));
    arrays.put("sigma", HostTensor.ofDoubles(new long[] {d, d}, c.sigma(which)));
    Path p = tmp.resolve(name);
    Npz.write(p, arrays);
    return p;
  }

  private Path npz(String name, Map<String, HostTensor> arrays) {
    Path p = tmp.resolve(name);
    Npz.write(p, arrays);
    return p;
  }

  @Test
  void imagesThroughTheStandInGiveEveryMetricInJson() throws Exception {
    Path json = tmp.resolve("metrics.json");
    CliRun r =
        CliRun.of("evaluate", "--reference", fixture("reference.npz").toString(), "--samples",
            fixture("samples.npz").toString(), "--inception", fixture("standin.pt").toString(),
            "--output", json.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode m = new ObjectMapper().readTree(json.toFile());
    // Features come from libtorch 2.7 here and torch 1.13 in the generator: float32-level gaps.
    assertEquals(expected("fid"), m.get("fid").asDouble(), 1e-4 * expected("fid"));
    assertEquals(expected("sfid"), m.get("sfid").asDouble(), 1e-4 * expected("sfid"));
    assertEquals(expected("is_mean"), m.get("inception_score").asDouble(), 1e-5);
    assertEquals(expected("precision"), m.get("precision").asDouble(), 0.0);
    assertEquals(expected("recall"), m.get("recall").asDouble(), 0.0);
    assertEquals(40, m.get("sample_count").asLong());
    assertEquals(48, m.get("reference_count").asLong());
    assertEquals(64, m.get("extractor_sha256").asText().length());
    assertTrue(m.get("warnings").toString().contains("biased upward"), m.toString());
  }

  @Test
  void statisticsOnlyFilesGiveFidDirectlyWithTenSignificantDigits() throws Exception {
    Path json = tmp.resolve("m.json");
    CliRun r =
        CliRun.of("evaluate", "--reference", statsFile("ref.npz", "a2_d64", 1).toString(),
            "--samples", statsFile("smp.npz", "a2_d64", 2).toString(), "--output",
            json.toString());
    assertEquals(0, r.code(), r.err());
    double fid = FidVectors.expected("a2_d64.fid");
    // The first 11 significant digits of the expected value (1.x) appear in the printed one.
    String digits = String.format(Locale.ROOT, "%.16g", fid).substring(0, 12);
    assertTrue(r.out().contains(digits), digits + " not in " + r.out());
    JsonNode m = new ObjectMapper().readTree(json.toFile());
    assertEquals(fid, m.get("fid").asDouble(), 1e-9);
    assertTrue(!m.has("sfid") && !m.has("inception_score") && !m.has("precision"), m.toString());
  }

  @Test
  void savedStatisticsHoldTheSampleMomentsAndIdenticalSetsGiveZeroFid() throws Exception {
    Path stats = tmp.resolve("sample_stats.npz");
    Path json = tmp.resolve("m.json");
    String smp = fixture("samples.npz").toString();
    CliRun r =
        CliRun.of("evaluate", "--reference", smp, "--samples", smp, "--inception",
        fixture("standin.pt").toString(), "--save-stats", stats.toString(), "--output",
        json.toString());
    assertEquals(0, r.code(), r.err());
    Map<String, HostTensor> saved = Npz.readAll(stats);
    assertEquals(java.util.List.of("mu", "sigma", "mu_s", "sigma_s"),
        java.util.List.copyOf(saved.keySet()));
    double[] mu = saved.get("mu").toDoubles();
    double[] expectedMu =
        Npz.readAll(fixture("expected.npz")).get("samples_pool_mean").toDoubles();
    for (int i = 0; i < mu.length; i++) {
      assertEquals(expectedMu[i], mu[i], 1e-5 * Math.max(1, Math.abs(expectedMu[i])));
    }
    assertEquals(expected("samples_pool_trace"), trace(saved.get("sigma")),
        1e-4 * expected("samples_pool_trace"));
    assertEquals(expected("samples_spatial_trace"), trace(saved.get("sigma_s")),
        1e-4 * expected("samples_spatial_trace"));
    JsonNode m = new ObjectMapper().readTree(json.toFile());
    assertTrue(Math.abs(m.get("fid").asDouble()) < 1e-10, m.toString());
    assertEquals(1.0, m.get("precision").asDouble(), 0.0);
  }

  private static double trace(HostTensor sigma) {
    int d = (int) sigma.shape()[0];
    double[] s = sigma.toDoubles();
    double t = 0;
    for (int i = 0; i < d; i++) {
      t += s[i * d + i];
    }
    return t;
  }

  @Test
  void npzWithoutExpectedKeysListsWhatItHas() {
    Path odd =
        npz("odd.npz", Map.of("features", HostTensor.ofFloats(new long[] {2}, new float[2])));
    CliRun r =
        CliRun.of("evaluate", "--reference", odd.toString(), "--samples",
        statsFile("s.npz", "a1_d8", 1).toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("odd.npz") && r.err().contains("features")
        && r.err().contains("arr_0") && r.err().contains("mu"), r.err());
  }

  @Test
  void muWithoutSigmaIsNamed() {
    Path half = npz("half.npz", Map.of("mu", HostTensor.ofDoubles(new long[] {8}, new double[8])));
    CliRun r =
        CliRun.of("evaluate", "--reference", half.toString(), "--samples",
        statsFile("s.npz", "a1_d8", 1).toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("half.npz") && r.err().contains("'sigma'"), r.err());
  }

  @Test
  void mismatchedDimensionsNameBothFiles() {
    CliRun r =
        CliRun.of("evaluate", "--reference", statsFile("r64.npz", "a2_d64", 1).toString(),
        "--samples", statsFile("s8.npz", "a1_d8", 1).toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("r64.npz has 64") && r.err().contains("s8.npz has 8"), r.err());
  }

  @Test
  void floatImagesAreRejectedWithTheirDtype() {
    Path f = npz("float.npz",
        Map.of("arr_0", HostTensor.ofFloats(new long[] {2, 4, 4, 3}, new float[96])));
    CliRun r =
        CliRun.of("evaluate", "--reference", fixture("reference.npz").toString(), "--samples",
        f.toString(), "--inception", fixture("standin.pt").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("float.npz[arr_0]") && r.err().contains("F32")
        && r.err().contains("uint8"), r.err());
  }

  @Test
  void nchwImagesAreRejectedWithAHint() {
    Path f = npz("nchw.npz",
        Map.of("arr_0", HostTensor.ofUnsignedBytes(new long[] {2, 3, 8, 8}, new byte[384])));
    CliRun r =
        CliRun.of("evaluate", "--reference", fixture("reference.npz").toString(), "--samples",
        f.toString(), "--inception", fixture("standin.pt").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("nchw.npz[arr_0]") && r.err().contains("NCHW"), r.err());
  }

  @Test
  void imagesWithoutAnExtractorAskForInception() {
    CliRun r =
        CliRun.of("evaluate", "--reference", statsFile("r.npz", "a1_d8", 1).toString(),
        "--samples", fixture("samples.npz").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("samples.npz") && r.err().contains("--inception"), r.err());
  }

  @Test
  void aSingleSampleIsTooFewForFid() {
    Path one = npz("one.npz",
        Map.of("arr_0", HostTensor.ofUnsignedBytes(new long[] {1, 8, 8, 3}, new byte[192])));
    CliRun r =
        CliRun.of("evaluate", "--reference", fixture("reference.npz").toString(), "--samples",
        one.toString(), "--inception", fixture("standin.pt").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("one.npz") && r.err().contains("at least 2"), r.err());
  }

  @Test
  void contractViolatingExtractorIsRejectedBeforeAnyImageIsRead() {
    CliRun r =
        CliRun.of("evaluate", "--reference", fixture("reference.npz").toString(), "--samples",
        fixture("samples.npz").toString(), "--inception", fixture("wrong_shape.pt").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("wrong_shape.pt") && r.err().contains("(N, 2048)"), r.err());
    assertTrue(!r.err().contains("extracting features"), r.err());
  }

  @Test
  void savedStatisticsOverTheReferenceAreRefusedAndTheReferenceKept() throws Exception {
    Path ref = statsFile("ref.npz", "a2_d64", 1);
    byte[] before = java.nio.file.Files.readAllBytes(ref);
    CliRun r =
        CliRun.of("evaluate", "--reference", ref.toString(),
            "--samples", statsFile("smp.npz", "a2_d64", 2).toString(), "--save-stats",
            ref.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--save-stats " + ref + ": that is one of this command's inputs"),
        r.err());
    assertTrue(java.util.Arrays.equals(before, java.nio.file.Files.readAllBytes(ref)));
  }
}
