package ai.igspark.realmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.igspark.diffusion.IgLoss;
import ai.igspark.model.IgDiT;
import ai.igspark.model.IgDiTNet;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.Presets;
import ai.igspark.optim.AdamW;
import ai.igspark.optim.Ema;
import ai.igspark.optim.LrSchedule;
import ai.igspark.testsupport.MicroBatchLoop;
import ai.igspark.testsupport.NativeMemory;
import ai.igspark.train.TrainStep;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Training the real tiny SiT+IG model leaks no native memory, step after step. */
class TinyModelMemoryTest {
  private final NDManager manager = NDManager.newBaseManager();

  @AfterEach
  void tearDown() {
    manager.close();
  }

  /**
   * The number of live NDArrays in the whole manager tree is the same after 10, 1,000 and 2,000
   * steps (exact), and native RSS after 2,000 steps is at most 5% above that after 1,000.
   *
   * <p>RSS is read as TrainStepTest reads it ({@link NativeMemory}), and compared after glibc's
   * {@code malloc_trim}: between 1,000 and 2,000 steps untrimmed readings moved by −6%, +7%, +18%
   * and +9% in four runs (memory freed by the steps and kept by malloc), trimmed ones by −0.2%,
   * +0.7% and −2.9%; a leak is in use, so trimming never hides one. 10 against 1,000 steps is not
   * comparable: over the first thousand steps native RSS grew by 10% trimmed and 30–70% untrimmed
   * while the JVM warmed up (JIT, GC structures; the committed heap itself changed from 234 to 88
   * MB), as TrainStepTest found for its small net. All figures are printed.
   */
  @Test
  @Tag("slow")
  void liveArraysAndNativeMemoryAreFlatOverThousandsOfSteps() throws IOException {
    ModelConfig cfg = Presets.get("sit-tiny");
    MicroBatchLoop loop = loop(trainStep(manager, cfg), manager, cfg);
    long t0 = System.nanoTime();
    loop.run(10);
    Reading at10 = Reading.now(manager);
    loop.run(990);
    Reading at1000 = Reading.now(manager);
    loop.run(1000);
    Reading at2000 = Reading.now(manager);
    String figures =
        String.format(
            "sit-tiny after 10 / 1000 / 2000 steps: native RSS %d / %d / %d kB, malloc-trimmed"
                + " %d / %d / %d kB, committed Java heap %d / %d / %d MB, live NDArrays %d / %d /"
                + " %d; %.1f ms per step",
            at10.rssKb,
            at1000.rssKb,
            at2000.rssKb,
            at10.trimmedKb,
            at1000.trimmedKb,
            at2000.trimmedKb,
            at10.heapMb,
            at1000.heapMb,
            at2000.heapMb,
            at10.arrays,
            at1000.arrays,
            at2000.arrays,
            (System.nanoTime() - t0) / 2000 / 1e6);
    System.out.println(figures);
    assertEquals(at10.arrays, at1000.arrays, "NDArrays leaked: " + figures);
    assertEquals(at10.arrays, at2000.arrays, "NDArrays leaked: " + figures);
    // A leak only grows: a smaller reading is memory handed back (the flat optimizer's 8 MB group
    // temporaries come and go through glibc's mmap, and moved trimmed RSS by -9.5% once).
    assertTrue(at2000.trimmedKb - at1000.trimmedKb <= 0.05 * at1000.trimmedKb, figures);
  }

  private record Reading(long rssKb, long trimmedKb, long heapMb, int arrays) {
    static Reading now(NDManager m) throws IOException {
      long rss = NativeMemory.settledRssKb();
      long trimmed = NativeMemory.trimmedRssKb();
      return new Reading(
          rss, trimmed, Runtime.getRuntime().totalMemory() >> 20, m.getManagedArrays().size());
    }
  }

  private static TrainStep trainStep(NDManager m, ModelConfig cfg) {
    IgDiTNet net = new IgDiTNet(IgDiT.create(cfg, m, 2));
    return new TrainStep(
        net,
        cfg.timeConvention(),
        IgLoss.sit(cfg.numClasses()),
        new AdamW(m, AdamW.Config.sit()),
        new Ema(m, net.trainableParameters(), 0.9999f),
        LrSchedule.constant(1e-4f),
        1.0);
  }

  /** The loop over a batch of 8 Gaussian latents of {@code cfg}'s shape and their labels. */
  private static MicroBatchLoop loop(TrainStep step, NDManager m, ModelConfig cfg) {
    NDArray x =
        TinyModelTrainingTest.gaussian(m, 7, 8, cfg.inChannels(), cfg.inputSize(), cfg.inputSize());
    return new MicroBatchLoop(step, x, m.create(new long[] {0, 1, 2, 3, 4, 5, 6, 9}));
  }
}
