package ai.igspark.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke tests of {@code igspark bench segment} at sit-tiny size. */
class SegmentBenchmarkTest {
  @TempDir Path tmp;

  @Test
  @Tag("slow") // starts Spark here and a second driver JVM
  void tinyRunReportsWarmSegmentsAndAColdResume() throws Exception {
    SegmentBenchmark.SegmentResult r = SegmentBenchmark.segmentStarts(
        new SegmentBenchmark.SegmentSettings("sit-tiny", 4, 1, 2, 1, tmp));

    List<SegmentBenchmark.SegmentStart> s = r.starts();
    assertEquals(3, s.size(), r.summary());
    assertFalse(s.get(0).warmCache(), "the first segment initialises");
    assertTrue(s.get(1).warmCache() && !s.get(1).freshDriver(), "the second comes from the cache");
    assertTrue(!s.get(2).warmCache() && s.get(2).freshDriver(), "the fresh driver starts cold");
    assertEquals(1, r.warm().size());
    assertEquals(1, r.coldResumes().size());
    s.forEach(x -> assertTrue(x.startSeconds() >= 0 && x.startSeconds() < 600, r.summary()));
  }

  @Test
  void collectiveShareIsAFractionOfStepPlusAllReduce() throws Exception {
    SegmentBenchmark.CollectiveResult r = SegmentBenchmark.collectiveShare(
        new SegmentBenchmark.CollectiveSettings(1 << 20, 2, 2, "sit-tiny", 2, 1, 2));

    assertEquals(4L << 20, r.ring().bytes());
    assertTrue(r.ring().medianSeconds() > 0, r.summary());
    assertEquals(2, r.step().seconds().length);
    assertEquals(2, r.doubleStep().seconds().length);
    assertEquals(r.step().median(), r.stepAt(2), 1e-9);
    assertTrue(r.share() > 0 && r.share() < 1, r.summary());
    assertTrue(r.summary().contains("linear fit"), r.summary());
  }
}
