package ai.igspark.spark.kryo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.metrics.ReceivedRecord;
import ai.igspark.metrics.StepRecord;
import ai.igspark.spark.RankResult;
import ai.igspark.spark.SparkContexts;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

class IgsparkKryoRegistratorTest {
  private final SerializerInstance kryo = new KryoSerializer(
      SparkContexts.builder().environment(Map.of()).conf()).newInstance();

  record Unregistered(int x) {}

  private <T> T roundTrip(T value, Class<?> type) {
    @SuppressWarnings("unchecked")
    ClassTag<T> tag = (ClassTag<T>) ClassTag$.MODULE$.apply(type);
    ByteBuffer bytes = kryo.serialize(value, tag);
    return kryo.deserialize(bytes, tag);
  }

  @Test
  void sparkContextsNamesThisRegistrator() {
    assertEquals(IgsparkKryoRegistrator.class.getName(), SparkContexts.KRYO_REGISTRATOR);
  }

  @Test
  void rankResultArraysRoundTripWithRegistrationRequired() {
    RankResult<?>[] results = {
      new RankResult<>(0, "127.0.0.1", new float[] {1f, 2f}, 1001, 5, 42),
      new RankResult<>(1, "127.0.0.1", "text", 1002, 6, 43)
    };

    RankResult<?>[] back = roundTrip(results, RankResult[].class);

    assertEquals(2, back.length);
    assertArrayEquals(new float[] {1f, 2f}, (float[]) back[0].value());
    assertEquals(results[1], back[1]);
    assertEquals(1001, back[0].allGatherMillis());
  }

  @Test
  void metricRecordsRoundTrip() {
    ReceivedRecord record = new ReceivedRecord(1, 7,
        new StepRecord(3, 0.5, 0.25, null, null, 1.5, 1e-4f, 100.0, 0, true));

    assertEquals(record, roundTrip(record, ReceivedRecord.class));
  }

  @Test
  void anUnregisteredTypeFailsNamingIt() {
    Exception e = assertThrows(Exception.class,
        () -> roundTrip(new Unregistered(1), Unregistered.class));

    assertTrue(String.valueOf(e.getMessage()).contains(Unregistered.class.getName()),
        e.getMessage());
  }
}
