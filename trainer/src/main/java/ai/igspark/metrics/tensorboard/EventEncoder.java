package ai.igspark.metrics.tensorboard;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few TensorFlow protobuf messages an event file needs, encoded by hand (no protobuf
 * dependency for four messages). Field numbers are those of TensorFlow's event.proto and
 * summary.proto:
 *
 * <pre>
 * Event      { double wall_time = 1; int64 step = 2;
 *              oneof what { string file_version = 3; Summary summary = 5; SessionLog session_log = 7; } }
 * Summary    { repeated Value value = 1; }
 * Value      { string tag = 1; oneof value { float simple_value = 2; Image image = 4; } }
 * Image      { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
 * SessionLog { SessionStatus status = 1; }   START = 1
 * </pre>
 *
 * Fields are written in field-number order and proto3 defaults (step 0) are left out, so the
 * bytes are the ones protobuf's own serializer produces.
 */
final class EventEncoder {
  static final String FILE_VERSION = "brain.Event:2";
  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LENGTH_DELIMITED = 2;
  private static final int FIXED32 = 5;
  private static final int SESSION_START = 1;

  private EventEncoder() {}

  /** The first event of every file: {@code file_version = "brain.Event:2"}. */
  static byte[] fileVersion(double wallTime) {
    Message e = header(wallTime, 0);
    e.bytes(3, FILE_VERSION.getBytes(StandardCharsets.UTF_8));
    return e.toByteArray();
  }

  /** A summary with one scalar. */
  static byte[] scalar(double wallTime, long step, String tag, float value) {
    Message v = new Message();
    v.bytes(1, utf8(tag));
    v.tag(2, FIXED32);
    v.fixed32(Float.floatToRawIntBits(value));
    return summary(wallTime, step, v);
  }

  /** A summary with one image: {@code colorspace} is the channel count (1 gray, 3 RGB). */
  static byte[] image(
      double wallTime, long step, String tag, int height, int width, int colorspace, byte[] png) {
    Message img = new Message();
    img.varint(1, height);
    img.varint(2, width);
    img.varint(3, colorspace);
    img.bytes(4, png);
    Message v = new Message();
    v.bytes(1, utf8(tag));
    v.bytes(4, img.toByteArray());
    return summary(wallTime, step, v);
  }

  /**
   * {@code session_log {status: START}} at {@code step}: TensorBoard then drops the events of
   * earlier sessions at that step and later ones (what a resume logs again).
   */
  static byte[] sessionStart(double wallTime, long step) {
    Message log = new Message();
    log.varint(1, SESSION_START);
    Message e = header(wallTime, step);
    e.bytes(7, log.toByteArray());
    return e.toByteArray();
  }

  private static byte[] summary(double wallTime, long step, Message value) {
    Message s = new Message();
    s.bytes(1, value.toByteArray());
    Message e = header(wallTime, step);
    e.bytes(5, s.toByteArray());
    return e.toByteArray();
  }

  private static Message header(double wallTime, long step) {
    Message e = new Message();
    e.tag(1, FIXED64);
    e.fixed64(Double.doubleToRawLongBits(wallTime));
    if (step != 0) {
      e.varint(2, step);
    }
    return e;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A message being written: wire-format primitives over a growing buffer. */
  private static final class Message {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    void tag(int field, int wireType) {
      rawVarint(((long) field << 3) | wireType);
    }

    /** int32 and int64 alike: negative values take ten bytes (two's complement, as protobuf). */
    void varint(int field, long value) {
      tag(field, VARINT);
      rawVarint(value);
    }

    void bytes(int field, byte[] data) {
      tag(field, LENGTH_DELIMITED);
      rawVarint(data.length);
      out.writeBytes(data);
    }

    void fixed32(int bits) {
      for (int i = 0; i < 4; i++) {
        out.write(bits >>> (8 * i));
      }
    }

    void fixed64(long bits) {
      for (int i = 0; i < 8; i++) {
        out.write((int) (bits >>> (8 * i)));
      }
    }

    private void rawVarint(long v) {
      while ((v & ~0x7fL) != 0) {
        out.write((int) ((v & 0x7f) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
    }

    byte[] toByteArray() {
      return out.toByteArray();
    }
  }
}
