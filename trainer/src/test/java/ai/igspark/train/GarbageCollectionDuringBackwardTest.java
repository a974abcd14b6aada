package ai.igspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.igspark.diffusion.IgLoss;
import ai.igspark.diffusion.LossDraws;
import ai.igspark.diffusion.TimeSampling;
import ai.igspark.model.IgDiT;
import ai.igspark.model.IgDiTNet;
import ai.igspark.model.ModelConfig;
import ai.igspark.model.Presets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The defect behind the 2-rank runs that drifted apart (docs/RELIABILITY.md, "Determinism"):
 * DJL's {@code NDArray.mul(Number)}, {@code div(Number)}, {@code maximum(Number)}, … wrap the
 * number in a Java direct buffer that libtorch borrows and close it at once, while autograd keeps
 * the tensor for backward. When a GC frees that buffer before backward, backward reads freed
 * memory. Here a GC, and new direct buffers that reuse the freed memory, land between forward and
 * backward: the gradients must not change.
 */
class GarbageCollectionDuringBackwardTest {

  @Test
  void gradientsDoNotChangeWhenAGarbageCollectionRunsBetweenForwardAndBackward() throws Exception {
    for (String preset : List.of("sit-tiny", "lightningdit-tiny")) {
      ModelConfig cfg = Presets.get(preset);
      try (NDManager manager = NDManager.newBaseManager()) {
        IgDiT model = IgDiT.create(cfg, manager, 0);
        IgDiTNet net = new IgDiTNet(model);
        IgLoss loss = new IgLoss(cfg.numClasses(), 0.5f, 0.1f, TimeSampling.UNIFORM, true);
        int n = 4;
        SplittableRandom rng = new SplittableRandom(5);
        float[] x = new float[n * cfg.inChannels() * cfg.inputSize() * cfg.inputSize()];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) rng.nextGaussian();
        }
        NDArray x0 = manager.create(x, new Shape(n, cfg.inChannels(), cfg.inputSize(),
            cfg.inputSize()));
        NDArray y = manager.create(new long[] {0, 1, 2, 3});
        LossDraws draws = loss.draw(x0, new SplittableRandom(9));

        float[] clean = gradients(net, loss, x0, y, draws, false);
        float[] disturbed = gradients(net, loss, x0, y, draws, true);
        assertArrayEquals(clean, disturbed, preset + ": gradients changed after a GC");
      }
    }
  }

  private static float[] gradients(IgDiTNet net, IgLoss loss, NDArray x0, NDArray y,
      LossDraws draws, boolean collectGarbage) throws InterruptedException {
    var sitNet = net.model().config().timeConvention().toSitTime(net);
    List<ByteBuffer> reuse = new ArrayList<>();
    try (NDScope scope = new NDScope();
        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray total = loss.compute(sitNet, x0, y, draws, 4).total();
      if (collectGarbage) {
        for (int i = 0; i < 3; i++) {
          System.gc();
          Thread.sleep(20);
        }
        for (int i = 0; i < 20_000; i++) { // small direct buffers take the freed memory
          ByteBuffer b = ByteBuffer.allocateDirect(4 + 4 * (i % 16)).order(ByteOrder.nativeOrder());
          while (b.hasRemaining()) {
            b.putFloat(1000f + i);
          }
          reuse.add(b);
        }
      }
      collector.backward(total);
    }
    var params = net.trainableParameters().values();
    FloatBuffer out = FloatBuffer.allocate(Math.toIntExact(FlatGradients.size(params)));
    try (NDScope scope = new NDScope()) {
      FlatGradients.copyTo(net.gradients().values(), out);
    }
    net.zeroGradients();
    reuse.clear();
    return out.array();
  }
}
