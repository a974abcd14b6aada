package ai.igspark.spark.kryo;

import ai.igspark.metrics.EvalSetting;
import ai.igspark.metrics.MetricsRecord;
import ai.igspark.metrics.ReceivedRecord;
import ai.igspark.spark.ClusterCheck;
import ai.igspark.spark.RankResult;
import ai.igspark.spark.RecordSerializer;
import com.esotericsoftware.kryo.Kryo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Registers the types igspark sends through Spark's serializer (task results, collected values).
 * igspark runs Kryo with {@code spark.kryo.registrationRequired=true}, so an unregistered type
 * fails loudly ("Class is not registered: ...[]") instead of silently writing class names: add
 * every new result type here, with its array type, and records with {@link RecordSerializer}.
 * Types that only one application needs can go through {@link
 * SparkContexts.Builder#registerKryoClasses} instead.
 */
public final class IgsparkKryoRegistrator implements KryoRegistrator {

  @Override
  public void registerClasses(Kryo kryo) {
    registerRecord(kryo, RankResult.class);
    kryo.register(RankResult[].class);
    registerRecord(kryo, ReceivedRecord.class);
    kryo.register(ReceivedRecord[].class);
    for (Class<?> kind : MetricsRecord.class.getPermittedSubclasses()) {
      registerRecord(kryo, kind.asSubclass(Record.class));
    }
    registerRecord(kryo, EvalSetting.class);
    registerRecord(kryo, ClusterCheck.RankReport.class);
    kryo.register(ClusterCheck.RankReport[].class);

    // Training segment results (ai.igspark.train.SegmentTrainer).
    registerRecord(kryo, ai.igspark.train.SegmentReport.class);
    kryo.register(ai.igspark.train.SegmentReport[].class);
    registerRecord(kryo, ai.igspark.ckpt.FileEntry.class);
    kryo.register(ai.igspark.ckpt.FileEntry[].class);

    // Evaluation blocks (ai.igspark.eval.job.SampleEvaluationJob).
    registerRecord(kryo, ai.igspark.eval.job.SampleEvaluationJob.Part.class);
    kryo.register(ai.igspark.eval.job.SampleEvaluationJob.Part[].class);
    registerRecord(kryo, ai.igspark.eval.InceptionScore.ChunkSums.class);
    kryo.register(ai.igspark.eval.InceptionScore.ChunkSums[].class);
    registerRecord(kryo, ai.igspark.eval.ImageBatch.class);
    kryo.register(ai.igspark.eval.ImageBatch.Layout.class);

    // Plain containers that results are made of.
    kryo.register(ArrayList.class);
    kryo.register(HashMap.class);
    kryo.register(LinkedHashMap.class);
    kryo.register(String[].class);
    kryo.register(Object[].class);
    kryo.register(float[].class);
    kryo.register(float[][].class);
    kryo.register(double[].class);
    kryo.register(long[].class);
    kryo.register(int[].class);
    kryo.register(byte[].class);
    kryo.register(byte[][].class);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void registerRecord(Kryo kryo, Class<? extends Record> type) {
    kryo.register(type, new RecordSerializer(type));
  }
}
