package ai.igspark.train;

import java.util.ArrayList;
import java.util.List;

/**
 * The flat gradient (parameters in order, each row-major) cut into consecutive buckets of at most
 * {@code bucketFloats} floats. A parameter larger than a bucket, or one that straddles a bucket
 * boundary, is split into segments, so no buffer ever exceeds one bucket whatever the model size
 * (SiT-XL/2 holds 677,786,144 floats, 2.7 GB: more than a Java buffer can index).
 *
 * @param buckets the buckets, in flat order
 * @param totalFloats the number of floats of all parameters
 */
public record GradientBuckets(List<Bucket> buckets, long totalFloats) {

  /** Elements {@code [from, to)} of parameter {@code parameter}, at {@code offset} in a bucket. */
  public record Segment(int parameter, long from, long to, int offset) {
    public int length() {
      return (int) (to - from);
    }
  }

  /** One bucket: its segments in order and its length in floats. */
  public record Bucket(List<Segment> segments, int floats) {}

  public GradientBuckets {
    buckets = List.copyOf(buckets);
  }

  /** Plans buckets over parameters of the given element counts. */
  public static GradientBuckets plan(long[] parameterSizes, int bucketFloats) {
    if (bucketFloats < 1) {
      throw new IllegalArgumentException("bucketFloats must be at least 1, got " + bucketFloats);
    }
    List<Bucket> buckets = new ArrayList<>();
    List<Segment> current = new ArrayList<>();
    int fill = 0;
    long total = 0;
    for (int p = 0; p < parameterSizes.length; p++) {
      long size = parameterSizes[p];
      if (size < 0) {
        throw new IllegalArgumentException("parameter " + p + " has negative size " + size);
      }
      total += size;
      long from = 0;
      while (from < size) {
        int take = (int) Math.min(size - from, bucketFloats - fill);
        current.add(new Segment(p, from, from + take, fill));
        fill += take;
        from += take;
        if (fill == bucketFloats) {
          buckets.add(new Bucket(current, fill));
          current = new ArrayList<>();
          fill = 0;
        }
      }
    }
    if (fill > 0) {
      buckets.add(new Bucket(current, fill));
    }
    return new GradientBuckets(buckets, total);
  }

  /** The largest bucket, in floats (0 for no parameters). */
  public int largestBucket() {
    int max = 0;
    for (Bucket b : buckets) {
      max = Math.max(max, b.floats());
    }
    return max;
  }
}
