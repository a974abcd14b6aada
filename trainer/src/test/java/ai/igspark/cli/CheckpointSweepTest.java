package ai.igspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.diffusion.Guidance;
import ai.igspark.eval.SamplerSpec;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Parsing of {@code evaluate --checkpoint --sweep} (no sampling). */
class CheckpointSweepTest {
  private static CheckpointSampling parse(String... args) {
    CheckpointSampling s = new CheckpointSampling();
    new CommandLine(s).parseArgs(args);
    return s;
  }

  @Test
  void intervalsSweepAsLoColonHiSeparatedByCommas() {
    List<SamplerSpec> settings =
        parse("--checkpoint", "w.safetensors", "--sweep", "ig-interval=0.3:1,0:1",
            "cfg-interval=0:0.7,0:1", "ig-scale=1.2,1.4")
            .settings();
    assertEquals(8, settings.size());
    Guidance first = settings.get(0).guidance();
    assertEquals(1.2f, first.igScale());
    assertEquals(0.3f, first.igLow());
    assertEquals(1f, first.igHigh());
    assertEquals(0.7f, first.cfgHigh());
    assertEquals(1f, settings.get(1).guidance().cfgHigh());
    assertEquals(0f, settings.get(2).guidance().igLow());
    assertEquals(1.4f, settings.get(4).guidance().igScale());
  }

  @Test
  void singleIntervalsAcceptCommaOrColon() {
    Guidance g =
        parse("--checkpoint", "w", "--ig-interval", "0.2:0.9", "--cfg-interval", "0.1,0.5")
            .settings().get(0).guidance();
    assertEquals(0.2f, g.igLow());
    assertEquals(0.9f, g.igHigh());
    assertEquals(0.1f, g.cfgLow());
    assertEquals(0.5f, g.cfgHigh());
  }

  @Test
  void anIntervalWithoutAColonInASweepIsNamed() {
    var e =
        assertThrows(
            InvalidInputException.class,
            () -> parse("--checkpoint", "w", "--sweep", "ig-interval=0.3,1").settings());
    assertTrue(e.getMessage().contains("interval '0.3' must be LO:HI"), e.getMessage());
  }

  @Test
  void anIntervalOutsideZeroOneIsNamed() {
    var e =
        assertThrows(
            InvalidInputException.class,
            () -> parse("--checkpoint", "w", "--sweep", "cfg-interval=0.5:1.5").settings());
    assertTrue(e.getMessage().startsWith("cfg-interval: '0.5:1.5'"), e.getMessage());
  }

  @Test
  void samplerStepsAndShiftAreSweepable() {
    List<SamplerSpec> settings =
        parse("--checkpoint", "w", "--sampler", "ode-heun2", "--sweep", "steps=10,124",
            "timestep-shift=1,0.3")
            .settings();
    assertEquals(4, settings.size());
    assertEquals(10, settings.get(0).steps());
    assertEquals(0.3, settings.get(1).timestepShift());
    assertEquals(124, settings.get(2).steps());
    assertEquals("ode-heun2", settings.get(3).sampler().configName());
  }

  @Test
  void anUnknownSweepKeyListsTheKeys() {
    var e =
        assertThrows(
            InvalidInputException.class,
            () -> parse("--checkpoint", "w", "--sweep", "guidance=1,2").settings());
    assertTrue(e.getMessage().contains("timestep-shift"), e.getMessage());
  }
}
