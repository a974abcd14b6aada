package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.config.RunConfig;
import ai.igspark.data.InvalidInputException;
import ai.igspark.model.ParameterShapes;
import ai.igspark.model.Presets;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientBucketsTest {
  private static final long[] SIT_XL2 = ParameterShapes.sizes(Presets.get("SiT-XL/2"));

  @Test
  void sitXl2HasMoreGradientBytesThanOneJavaBufferHolds() {
    long floats = java.util.Arrays.stream(SIT_XL2).sum();
    // 677,786,144 parameters less the frozen 256×1152 pos_embed
    assertEquals(677_786_144L - 256 * 1152, floats);
    assertTrue(4 * floats > Integer.MAX_VALUE);
  }

  @Test
  void sitXl2BucketsCoverEveryParameterOnceWithinTheBucketSize() {
    int bucket = new RunConfig.Ring(null, null, null).bucketFloats(); // 32 MiB
    GradientBuckets plan = GradientBuckets.plan(SIT_XL2, bucket);
    long floats = 677_786_144L - 256 * 1152;
    assertEquals(floats, plan.totalFloats());
    assertEquals((floats + bucket - 1) / bucket, plan.buckets().size());
    assertEquals(bucket, plan.largestBucket());
    assertCovers(SIT_XL2, plan);
  }

  @Test
  void aParameterLargerThanABucketSpansSeveralBuckets() {
    GradientBuckets plan = GradientBuckets.plan(new long[] {3, 10, 2}, 4);
    assertCovers(new long[] {3, 10, 2}, plan);
    assertEquals(4, plan.buckets().size()); // 15 floats in buckets of 4
    List<GradientBuckets.Segment> second = plan.buckets().get(1).segments();
    assertEquals(List.of(new GradientBuckets.Segment(1, 1, 5, 0)), second);
    assertEquals(3, plan.buckets().get(3).floats());
  }

  @Test
  void bucketSizeOutsideOneMibToOneGibIsRefusedNamingTheKey() {
    var zero = assertThrows(InvalidInputException.class, () -> new RunConfig.Ring(0, null, null));
    assertTrue(zero.getMessage().contains("bucket_mib"), zero.getMessage());
    var huge =
        assertThrows(InvalidInputException.class, () -> new RunConfig.Ring(2048, null, null));
    assertTrue(huge.getMessage().contains("2048"), huge.getMessage());
  }

  /** Each parameter's elements appear exactly once, in order, at consecutive bucket offsets. */
  private static void assertCovers(long[] sizes, GradientBuckets plan) {
    long[] next = new long[sizes.length];
    int p = 0;
    for (GradientBuckets.Bucket b : plan.buckets()) {
      int offset = 0;
      for (GradientBuckets.Segment s : b.segments()) {
        while (p < sizes.length && next[p] == sizes[p]) {
          p++;
        }
        assertEquals(p, s.parameter());
        assertEquals(next[p], s.from());
        assertEquals(offset, s.offset());
        next[p] = s.to();
        offset += s.length();
      }
      assertEquals(offset, b.floats());
    }
    for (int i = 0; i < sizes.length; i++) {
      assertEquals(sizes[i], next[i], "parameter " + i);
    }
  }
}
