package ai.igspark.collective;

import ai.igspark.data.InvalidInputException;
import java.time.Duration;

/**
 * Settings of {@link TcpRingCollective}.
 *
 * @param bucketBytes fp32 bytes reduced per ring pass; a call over more data runs several passes.
 *     Staging memory per channel: 256 KiB on an fp32 wire, plus bucketBytes / worldSize on a bf16
 *     wire, plus one bucket to copy through when the data is not a direct little-endian buffer.
 * @param stepDeadline longest wait for one ring step (one chunk to and from the neighbours) in
 *     {@link Collective.Phase#STEP}
 * @param checkpointDeadline the same in {@link Collective.Phase#CHECKPOINT}: long, because a peer
 *     still writing its checkpoint is slow, not dead
 * @param connectDeadline longest time to connect to and authenticate both neighbours
 * @param wireDtype element type on the wire; sums are always accumulated in fp32
 * @param channels parallel rings (lanes), each with its own connections and thread, each reducing
 *     a contiguous part of every call's buffer: one thread's copies and sums cap a lane at a few
 *     GB/s, so fast networks need several (docs/ARCHITECTURE.md §9.2, item 2)
 */
public record RingOptions(
    int bucketBytes,
    Duration stepDeadline,
    Duration checkpointDeadline,
    Duration connectDeadline,
    WireDtype wireDtype,
    int channels) {

  /** Element type of gradients on the wire. */
  public enum WireDtype {
    FP32(4),
    /** Round-to-nearest-even to bfloat16 before sending, widened to fp32 before adding. */
    BF16(2);

    private final int bytes;

    WireDtype(int bytes) {
      this.bytes = bytes;
    }

    public int bytes() {
      return bytes;
    }
  }

  /** 1 GiB: staging buffers stay far below the 2 GiB ByteBuffer limit. */
  public static final int MAX_BUCKET_BYTES = 1 << 30;

  public static final int MAX_CHANNELS = 16;

  public RingOptions {
    if (bucketBytes < 4 || bucketBytes % 4 != 0 || bucketBytes > MAX_BUCKET_BYTES) {
      throw new InvalidInputException(
          "ring.bucketBytes: expected a multiple of 4 between 4 and "
              + MAX_BUCKET_BYTES
              + ", got "
              + bucketBytes);
    }
    requirePositive("ring.stepDeadline", stepDeadline);
    requirePositive("ring.checkpointDeadline", checkpointDeadline);
    requirePositive("ring.connectDeadline", connectDeadline);
    if (wireDtype == null) {
      throw new InvalidInputException("ring.wireDtype: expected FP32 or BF16, got nothing");
    }
    if (channels < 1 || channels > MAX_CHANNELS) {
      throw new InvalidInputException(
          "ring.channels: expected 1.." + MAX_CHANNELS + ", got " + channels);
    }
  }

  /**
   * 32 MiB buckets, 2 min per step, 30 min in checkpoint phases, 2 min to connect, fp32, one
   * channel.
   */
  public static RingOptions defaults() {
    return new RingOptions(
        32 << 20,
        Duration.ofMinutes(2),
        Duration.ofMinutes(30),
        Duration.ofMinutes(2),
        WireDtype.FP32,
        1);
  }

  public RingOptions withBucketBytes(int bytes) {
    return new RingOptions(
        bytes, stepDeadline, checkpointDeadline, connectDeadline, wireDtype, channels);
  }

  public RingOptions withStepDeadline(Duration d) {
    return new RingOptions(
        bucketBytes, d, checkpointDeadline, connectDeadline, wireDtype, channels);
  }

  public RingOptions withCheckpointDeadline(Duration d) {
    return new RingOptions(bucketBytes, stepDeadline, d, connectDeadline, wireDtype, channels);
  }

  public RingOptions withConnectDeadline(Duration d) {
    return new RingOptions(bucketBytes, stepDeadline, checkpointDeadline, d, wireDtype, channels);
  }

  public RingOptions withWireDtype(WireDtype dtype) {
    return new RingOptions(
        bucketBytes, stepDeadline, checkpointDeadline, connectDeadline, dtype, channels);
  }

  public RingOptions withChannels(int count) {
    return new RingOptions(
        bucketBytes, stepDeadline, checkpointDeadline, connectDeadline, wireDtype, count);
  }

  /** The per-step deadline of a phase. */
  public Duration deadline(Collective.Phase phase) {
    return phase == Collective.Phase.CHECKPOINT ? checkpointDeadline : stepDeadline;
  }

  private static void requirePositive(String key, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new InvalidInputException(key + ": expected a positive duration, got " + d);
    }
  }
}
