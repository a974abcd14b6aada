package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import ai.igspark.diffusion.Sampler;
import ai.igspark.eval.SamplerSpec.Interval;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The one sampler parser: each bad setting is an {@link InvalidInputException} that starts with
 * the key as the caller spells it (an option, a sweep item, a run-config key), and each accepted
 * syntax reads the same value.
 */
class SamplerSpecParserTest {
  /** The three places a sampler setting is written, with the names they give the keys. */
  enum Spelling {
    OPTION(SamplerSpecParser.OPTION_NAMES),
    SWEEP(SamplerSpecParser.SWEEP_NAMES),
    CONFIG(SamplerSpecParser.CONFIG_NAMES);

    final Function<SamplerKey, String> names;

    Spelling(Function<SamplerKey, String> names) {
      this.names = names;
    }

    SamplerSpecParser parser() {
      return SamplerSpecParser.from(SamplerSpec.DEFAULT, names);
    }
  }

  private static void assertNamed(Spelling s, SamplerKey key, String rest, Runnable parse) {
    InvalidInputException e = assertThrows(InvalidInputException.class, parse::run);
    String expected = s.names.apply(key) + ": " + rest;
    assertTrue(e.getMessage().startsWith(expected), "expected '" + expected + "…': " + e);
  }

  @Test
  void theSpellingsNameTheShiftAsOptionSweepAndConfigDo() {
    assertEquals("--timestep-shift", Spelling.OPTION.names.apply(SamplerKey.TIMESTEP_SHIFT));
    assertEquals("timestep-shift", Spelling.SWEEP.names.apply(SamplerKey.TIMESTEP_SHIFT));
    assertEquals("timestep_shift", Spelling.CONFIG.names.apply(SamplerKey.TIMESTEP_SHIFT));
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void anUnknownSamplerNameIsRefusedNamingTheSamplerKey(Spelling s) {
    assertNamed(s, SamplerKey.SAMPLER, "unknown sampler 'heun3'",
        () -> s.parser().set(SamplerKey.SAMPLER, "heun3"));
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void aShiftOfZeroIsRefusedNamingTheShiftKey(Spelling s) {
    assertNamed(s, SamplerKey.TIMESTEP_SHIFT, "0.0, expected a finite number > 0",
        () -> s.parser().set(SamplerKey.SAMPLER, "ode-euler").timestepShift(0).build());
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void aNegativeShiftIsRefusedNamingTheShiftKey(Spelling s) {
    assertNamed(s, SamplerKey.TIMESTEP_SHIFT, "-0.3, expected a finite number > 0",
        () -> s.parser().set(SamplerKey.SAMPLER, "ode-heun2")
            .set(SamplerKey.TIMESTEP_SHIFT, "-0.3").build());
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void aShiftWithSdeEmIsRefusedNamingTheShiftKey(Spelling s) {
    assertNamed(s, SamplerKey.TIMESTEP_SHIFT, "0.3 is for the ODE samplers",
        () -> s.parser().set(SamplerKey.SAMPLER, "sde-em").timestepShift(0.3).build());
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void anIntervalAboveOneIsRefusedNamingItsKey(Spelling s) {
    assertNamed(s, SamplerKey.IG_INTERVAL, "'0.5,1.5', expected LO <= HI within [0, 1]",
        () -> s.parser().set(SamplerKey.IG_INTERVAL, "0.5,1.5"));
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void anIntervalBelowZeroIsRefusedNamingItsKey(Spelling s) {
    assertNamed(s, SamplerKey.CFG_INTERVAL, "'-0.1:0.7', expected LO <= HI within [0, 1]",
        () -> s.parser().set(SamplerKey.CFG_INTERVAL, "-0.1:0.7"));
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void anIntervalWithLoAboveHiIsRefusedNamingItsKey(Spelling s) {
    assertNamed(s, SamplerKey.CFG_INTERVAL, "'0.7:0.2', expected LO <= HI",
        () -> s.parser().set(SamplerKey.CFG_INTERVAL, "0.7:0.2"));
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void aConfigListWithLoAboveHiIsRefusedNamingItsKey(Spelling s) {
    assertNamed(s, SamplerKey.IG_INTERVAL, "'[0.9, 0.3]', expected LO <= HI",
        () -> s.parser().interval(SamplerKey.IG_INTERVAL, List.of(0.9, 0.3)));
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void anIntervalOfOneNumberIsRefusedNamingItsKey(Spelling s) {
    assertNamed(s, SamplerKey.IG_INTERVAL, "'0.3', expected LO,HI",
        () -> s.parser().set(SamplerKey.IG_INTERVAL, "0.3"));
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void aGridOfOnePointIsRefusedNamingTheStepsKey(Spelling s) {
    assertNamed(s, SamplerKey.STEPS, "0 steps (1 grid points), expected at least 1",
        () -> s.parser().set(SamplerKey.SAMPLER, "ode-euler").steps(0).build());
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void aNegativeStepCountIsRefusedNamingTheStepsKey(Spelling s) {
    assertNamed(s, SamplerKey.STEPS, "-1 steps (0 grid points)",
        () -> s.parser().set(SamplerKey.SAMPLER, "ode-heun2").set(SamplerKey.STEPS, "-1")
            .build());
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void sdeEmNeedsTwoStepsNamingTheStepsKey(Spelling s) {
    assertNamed(s, SamplerKey.STEPS, "1 steps (2 grid points), expected at least 2 for sde-em",
        () -> s.parser().set(SamplerKey.SAMPLER, "sde-em").steps(1).build());
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void aShiftThatIsNotANumberIsRefusedNamingTheShiftKey(Spelling s) {
    assertNamed(s, SamplerKey.TIMESTEP_SHIFT, "'abc', expected a number",
        () -> s.parser().set(SamplerKey.TIMESTEP_SHIFT, "abc"));
  }

  @Test
  void aSpecBuiltDirectlyNamesItsKeysAsASweepDoes() {
    assertNamed(Spelling.SWEEP, SamplerKey.TIMESTEP_SHIFT, "0.0",
        () -> new SamplerSpec(Sampler.ODE_EULER, 10, 0.0, 1f, Interval.ALL, 1f, Interval.ALL,
            SamplerSpec.LabelMode.BALANCED));
  }

  @Test
  void anIntervalIsReadFromLoCommaHi() {
    assertEquals(new Interval(0.2f, 1f), SamplerSpecParser.interval("k", "0.2,1"));
  }

  @Test
  void anIntervalIsReadFromLoColonHi() {
    assertEquals(new Interval(0.2f, 1f), SamplerSpecParser.interval("k", "0.2:1"));
  }

  @Test
  void anIntervalIsReadFromBracketedLoHi() {
    assertEquals(new Interval(0.2f, 1f), SamplerSpecParser.interval("k", "[0.2, 1]"));
  }

  @Test
  void anIntervalMayBeASinglePoint() {
    assertEquals(new Interval(0.5f, 0.5f), SamplerSpecParser.interval("k", "0.5:0.5"));
  }

  @Test
  void aConfigListIsReadAsTheSameInterval() {
    SamplerSpec s =
        Spelling.CONFIG.parser().interval(SamplerKey.CFG_INTERVAL, List.of(0.2, 1.0)).build();
    assertEquals(SamplerSpecParser.interval("k", "0.2,1"), s.cfgInterval());
  }

  @Test
  void sdeIsSdeEm() {
    assertEquals(Sampler.SDE_EM, SamplerSpecParser.sampler("sampler", "sde"));
  }

  @Test
  void everySolverIsReadByItsConfigName() {
    for (Sampler s : Sampler.values()) {
      assertEquals(s, SamplerSpecParser.sampler("sampler", s.configName()), s.configName());
    }
  }

  @Test
  void stepsCountSolverStepsOnAGridOfOneMorePoint() {
    SamplerSpec s =
        Spelling.OPTION.parser().set(SamplerKey.SAMPLER, "ode-heun2").set(SamplerKey.STEPS, "124")
            .build();
    assertEquals(124, s.steps());
    assertEquals(125, s.gridPoints());
  }

  @Test
  void keysNotSetKeepTheBaseValues() {
    SamplerSpec s = Spelling.OPTION.parser().set(SamplerKey.IG_SCALE, "1.5").build();
    assertEquals(1.5f, s.igScale());
    assertEquals(SamplerSpec.DEFAULT.withGuidance(s.guidance()), s);
  }

  @Test
  void everySettingIsReadFromText() {
    SamplerSpecParser p = Spelling.SWEEP.parser();
    p.set(SamplerKey.SAMPLER, "ode-heun2").set(SamplerKey.STEPS, "6")
        .set(SamplerKey.TIMESTEP_SHIFT, "0.3").set(SamplerKey.IG_SCALE, "1.5")
        .set(SamplerKey.IG_INTERVAL, "0.2:1").set(SamplerKey.CFG_SCALE, "1.3")
        .set(SamplerKey.CFG_INTERVAL, "0,0.7").set(SamplerKey.LABELS, "random");
    assertEquals(
        new SamplerSpec(Sampler.ODE_HEUN2, 6, 0.3, 1.5f, new Interval(0.2f, 1f), 1.3f,
            new Interval(0f, 0.7f), SamplerSpec.LabelMode.RANDOM),
        p.build());
  }
}
