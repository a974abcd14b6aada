package ai.igspark.ckpt;

import static ai.igspark.ckpt.CheckpointFixtures.files;
import static ai.igspark.ckpt.CheckpointFixtures.readAll;
import static ai.igspark.ckpt.CheckpointFixtures.state;
import static ai.igspark.ckpt.CheckpointFixtures.write;
import static ai.igspark.ckpt.CheckpointFixtures.writeAndCommit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.testsupport.MiniHdfs;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The NameNode goes down while the driver commits a checkpoint and comes back (same ports, same
 * metadata): the commit's bounded retries carry it through, and the previous checkpoint stays
 * LATEST until the new one is complete. A separate HDFS from HdfsCheckpointStoreTest's, since a
 * NameNode restart disturbs every client of it.
 */
class HdfsNameNodeRestartTest {
  @RegisterExtension static final MiniHdfs hdfs = MiniHdfs.named("nn-restart");

  @Test
  void nameNodeRestartDuringCommitIsRetriedToSuccess() throws Exception {
    CheckpointStore store = new CheckpointStore(new Path(hdfs.uri("/runs/nn/checkpoints")),
        hdfs.conf(), CommitPolicy.defaults().withRetries(15, Duration.ofSeconds(1)));
    writeAndCommit(store, 100);
    String attempt = store.newAttempt(200);
    List<FileEntry> entries = write(store, 200, attempt, files(200));
    hdfs.cluster().shutdownNameNode(0);
    long down = System.nanoTime();
    CompletableFuture<Void> restart = CompletableFuture.runAsync(() -> {
      try {
        Thread.sleep(3000);
        hdfs.cluster().restartNameNode(0, true);
        hdfs.cluster().waitActive();
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    try {
      Checkpoint c = store.commit(200, attempt, state(200), entries);
      assertEquals(200, c.step());
      assertTrue(store.lastCommitTries() > 1, "the first try met the stopped NameNode");
      System.out.printf("RELIABILITY NameNode restart: commit done %.1f s after the NameNode"
          + " stopped, %d tries%n", (System.nanoTime() - down) / 1e9, store.lastCommitTries());
    } finally {
      restart.get(120, TimeUnit.SECONDS);
    }
    Checkpoint latest = store.latest().orElseThrow();
    assertEquals(200, latest.step());
    assertArrayEquals(files(200).get("optimizer.safetensors"),
        readAll(latest, "optimizer.safetensors"));
  }
}
