package ai.igspark.ckpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.config.RunConfig;
import ai.igspark.config.RunConfigDiff;
import ai.igspark.data.InvalidInputException;
import ai.igspark.metrics.MetricsJson;
import ai.igspark.metrics.SegmentRecord;
import ai.igspark.metrics.StepRecord;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirectoryTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private RunConfig config(String trainExtra, String evalSection) throws Exception {
    Path f = tmp.resolve("cfg-" + System.nanoTime() + ".yaml");
    Files.writeString(f, """
        run: {dir: %s}
        data: {manifest: data/d/dataset.json}
        model: {preset: sit-demo}
        train: {steps: 1000%s}
        %s
        """.formatted(tmp.resolve("run"), trainExtra, evalSection));
    return RunConfig.load(f);
  }

  private RunDirectory run() throws Exception {
    return RunDirectory.open(tmp.resolve("run").toUri().toString(), new Configuration());
  }

  @Test
  void firstOpenWritesRunYamlWithEveryDefault() throws Exception {
    RunDirectory run = run();
    RunDirectory.ConfigCheck check = run.guardConfig(config("", ""), Set.of());
    assertEquals(RunDirectory.ConfigOutcome.CREATED, check.outcome());
    String yaml = Files.readString(tmp.resolve("run/run.yaml"));
    assertTrue(yaml.contains("ema_decay: 0.9999"), yaml);
    assertEquals(64, check.hash().length());
    RunConfig reread = RunConfig.fromTree(run.storedConfig().orElseThrow(), "run.yaml");
    assertEquals(config("", ""), reread);
  }

  @Test
  void resumingWithTheSameConfigIsAccepted() throws Exception {
    RunDirectory run = run();
    String first = run.guardConfig(config("", ""), Set.of()).hash();
    RunDirectory.ConfigCheck again = run().guardConfig(config("", ""), Set.of());
    assertEquals(RunDirectory.ConfigOutcome.UNCHANGED, again.outcome());
    assertEquals(first, again.hash());
  }

  @Test
  void aRunYamlWrittenBeforeKeysWereAddedResumesWithTheirDefaults() throws Exception {
    RunConfig cfg = config("", "");
    ObjectNode older = cfg.toTree();
    ((ObjectNode) older.get("cluster")).remove("ring"); // as written before cluster.ring existed
    older.remove("gpu");
    Files.createDirectories(tmp.resolve("run"));
    Files.writeString(tmp.resolve("run/run.yaml"), JSON.writeValueAsString(older));
    RunDirectory.ConfigCheck check = run().guardConfig(cfg, Set.of());
    assertEquals(RunDirectory.ConfigOutcome.UNCHANGED, check.outcome());
  }

  @Test
  void resumingWithADifferentConfigIsRefusedListingEachKey() throws Exception {
    run().guardConfig(config("", ""), Set.of());
    RunConfig changed = config(", ema_decay: 0.999, optimizer: {name: adamw, lr: 2.0e-4}",
        "eval: {every_steps: 500, reference: ref}");
    var e = assertThrows(InvalidInputException.class,
        () -> run().guardConfig(changed, Set.of()));
    String m = e.getMessage();
    assertTrue(m.contains("train.ema_decay: 0.9999 → 0.999"), m);
    assertTrue(m.contains("train.optimizer.lr: 1.0E-4 → 2.0E-4"), m);
    assertTrue(m.contains("eval.every_steps: 0 → 500"), m);
    assertTrue(
        m.contains(
            "--allow-change eval.every_steps,eval.reference,train.ema_decay,train.optimizer.lr"),
        m);
    assertTrue(m.contains("run.yaml"), m);
    assertTrue(Files.readString(tmp.resolve("run/run.yaml")).contains("ema_decay: 0.9999"));
  }

  private static final DatasetIdentity DATA = new DatasetIdentity("aa11", 1000);
  private static final DatasetIdentity REPLACED = new DatasetIdentity("bb22", 1000);

  @Test
  void aDatasetReplacedUnderTheSameManifestIsRefusedUnlessDataIdentityIsAllowed()
      throws Exception {
    RunConfig cfg = config("", "");
    run().guardResume(cfg, Set.of(), DATA, RunStart.NEW_OR_RESUME);
    var e = assertThrows(InvalidInputException.class,
        () -> run().guardResume(cfg, Set.of("train"), REPLACED, RunStart.NEW_OR_RESUME));
    assertTrue(e.getMessage().contains("data.identity.manifest_sha256: 'aa11' → 'bb22'"),
        e.getMessage());
    assertTrue(e.getMessage().contains("--allow-change data.identity.manifest_sha256"),
        e.getMessage());
    assertEquals(DATA, run().storedDataIdentity().orElseThrow(), "nothing written");

    RunDirectory.ConfigCheck ok =
        run().guardResume(cfg, Set.of("data.identity"), REPLACED, RunStart.NEW_OR_RESUME);
    assertEquals(RunDirectory.ConfigOutcome.CHANGED_ALLOWED, ok.outcome());
    assertEquals(REPLACED, run().storedDataIdentity().orElseThrow());
  }

  @Test
  void allowingAnotherManifestAllowsItsIdentityToo() throws Exception {
    run().guardResume(config("", ""), Set.of(), DATA, RunStart.NEW_OR_RESUME);
    Path f = tmp.resolve("other.yaml");
    Files.writeString(f, Files.readString(tmp.resolve("run/run.yaml"))
        .replace("data/d/dataset.json", "data/other/dataset.json"));
    RunDirectory.ConfigCheck check = run().guardResume(RunConfig.load(f), Set.of("data.manifest"),
        REPLACED, RunStart.NEW_OR_RESUME);
    assertEquals(RunDirectory.ConfigOutcome.CHANGED_ALLOWED, check.outcome());
    assertEquals(REPLACED, run().storedDataIdentity().orElseThrow());
  }

  @Test
  void allowChangeWithAPrefixKeyAcceptsAndKeepsTheOldRunYaml() throws Exception {
    RunDirectory run = run();
    String before = run.guardConfig(config("", ""), Set.of()).hash();
    RunConfig changed = config("", "eval: {every_steps: 500, num_samples: 2000, reference: ref}");
    RunDirectory.ConfigCheck check =
        run().guardConfig(changed, RunConfigDiff.parseAllowed("eval, train.steps"));
    assertEquals(RunDirectory.ConfigOutcome.CHANGED_ALLOWED, check.outcome());
    assertEquals(3, check.diff().changes().size()); // every_steps, num_samples, reference
    assertNotEquals(before, check.hash());
    assertEquals(500, run().storedConfig().orElseThrow().at("/eval/every_steps").asInt());
    try (Stream<Path> s = Files.list(tmp.resolve("run/config-history"))) {
      List<Path> old = s.filter(p -> p.toString().endsWith(".yaml")).toList();
      assertEquals(1, old.size());
      assertTrue(Files.readString(old.get(0)).contains("every_steps: 0"));
    }
  }

  @Test
  void allowChangeThatMissesAKeyStillRefusesNamingIt() throws Exception {
    run().guardConfig(config("", ""), Set.of());
    RunConfig changed = config(", log_every: 5", "eval: {every_steps: 500, reference: ref}");
    var e = assertThrows(InvalidInputException.class,
        () -> run().guardConfig(changed, Set.of("eval")));
    assertTrue(e.getMessage().contains("train.log_every: 100 → 5"), e.getMessage());
    assertTrue(!e.getMessage().contains("eval.every_steps"), e.getMessage());
  }

  @Test
  void changedModelOverrideIsNamedByItsPath() throws Exception {
    RunDirectory run = run();
    ObjectNode tree = config("", "").toTree();
    run.guardConfig(tree, Set.of());
    ObjectNode changed = tree.deepCopy();
    ((ObjectNode) changed.get("model")).put("ig_depth", 2);
    var e = assertThrows(InvalidInputException.class, () -> run.guardConfig(changed, Set.of()));
    assertTrue(e.getMessage().contains("model.ig_depth: (absent) → 2"), e.getMessage());
  }

  @Test
  void metricsAppendAcrossSessionsAndReadBackInOrder() throws Exception {
    RunDirectory run = run();
    try (MetricsLog log = run.openMetrics()) {
      log.append(segment(1));
      log.append(segment(2));
    }
    // A driver that died mid-line left half a record behind.
    Files.writeString(tmp.resolve("run/metrics.jsonl"), "{\"step\": 3, \"lo",
        java.nio.file.StandardOpenOption.APPEND);
    try (MetricsLog log = run().openMetrics()) {
      log.append(segment(3));
    }
    List<Integer> steps = run().readMetrics().stream().map(n -> n.get("step").asInt()).toList();
    assertEquals(List.of(1, 2, 3), steps);
    try (Stream<Path> s = Files.list(tmp.resolve("run"))) {
      assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith("metrics-"))
          .toList(), "the local disk supports append: no per-session parts");
    }
  }

  @Test
  void aListenerThatThrowsLosesNoRecordOfTheLogAndStillSeesTheNextOnes() throws Exception {
    List<Long> seen = new java.util.ArrayList<>();
    org.apache.hadoop.fs.FileSystem raw =
        org.apache.hadoop.fs.FileSystem.getLocal(new Configuration()).getRaw();
    try (MetricsLog log = run().openMetrics()) {
      // A listener writing to a full local disk gets Hadoop's FSError (an Error): /dev/full.
      log.alsoTo(r -> {
        seen.add(((SegmentRecord) r).step());
        if (seen.size() == 1) {
          writeOneByte(raw, new org.apache.hadoop.fs.Path("file:///dev/full"));
        }
      });
      log.append(segment(1));
      log.append(segment(2));
    }
    assertEquals(List.of(1L, 2L), seen);
    assertEquals(List.of(1, 2),
        run().readMetrics().stream().map(n -> n.get("step").asInt()).toList());
  }

  private static void writeOneByte(org.apache.hadoop.fs.FileSystem fs,
      org.apache.hadoop.fs.Path p) {
    try (var out = fs.append(p)) {
      out.write(1);
      out.hflush();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void stepRecordsOfOlderVersionsAreReadWithKindInsteadOfType() throws Exception {
    run();
    Files.writeString(tmp.resolve("run/metrics.jsonl"),
        "{\"type\":\"step\",\"step\":7,\"epoch\":0.5,\"grad_norm\":1.5,\"lr\":1.0E-4,"
            + "\"samples_per_s\":10.0,\"skipped_steps\":0,\"applied\":true}\n");

    List<JsonNode> records = run().readMetrics();

    assertEquals(1, records.size());
    assertEquals("{\"kind\":\"step\",\"step\":7,\"epoch\":0.5,\"grad_norm\":1.5,\"lr\":1.0E-4,"
        + "\"samples_per_s\":10.0,\"skipped_steps\":0,\"applied\":true}",
        records.get(0).toString());
    assertEquals(new StepRecord(7, 0.5, null, null, null, 1.5, 1.0e-4f, 10.0, 0, true),
        MetricsJson.fromTree(records.get(0)));
  }

  private static SegmentRecord segment(long step) {
    return new SegmentRecord(step, 0, "a" + step, 1.0, 0.5, 0.1, false, 0, "2026-01-01T00:00:00Z");
  }

  @Test
  void evalDirectoriesAreNamedByStep() throws Exception {
    RunDirectory run = run();
    org.apache.hadoop.fs.Path p = run.evalDir(50_000);
    assertTrue(Files.isDirectory(tmp.resolve("run/eval/step-00050000")), p.toString());
  }

  @Test
  void plainPathOpensOnTheLocalDisk() throws Exception {
    RunDirectory run = RunDirectory.open(tmp.resolve("plain").toString(), new Configuration());
    assertEquals("file", run.root().toUri().getScheme());
    assertTrue(Files.isDirectory(tmp.resolve("plain")));
  }

  @Test
  void runDirThatIsAFileIsRejectedWithItsName() throws Exception {
    Path f = Files.writeString(tmp.resolve("afile"), "x");
    var e = assertThrows(InvalidInputException.class,
        () -> RunDirectory.open(f.toString(), new Configuration()));
    assertTrue(e.getMessage().contains("afile") && e.getMessage().contains("not a directory"),
        e.getMessage());
  }

  @Test
  void unknownSchemeIsRejectedWithTheLocation() {
    var e = assertThrows(InvalidInputException.class,
        () -> RunDirectory.open("nosuchfs://host/runs/x", new Configuration()));
    assertTrue(e.getMessage().contains("nosuchfs://host/runs/x"), e.getMessage());
  }

  @Test
  void configHashIgnoresKeyOrder() throws Exception {
    var a = JSON.readTree("{\"b\": 1, \"a\": {\"y\": 2, \"x\": [1, 2]}}");
    var b = JSON.readTree("{\"a\": {\"x\": [1, 2], \"y\": 2}, \"b\": 1}");
    assertEquals(RunDirectory.configHash(a), RunDirectory.configHash(b));
    assertNotEquals(RunDirectory.configHash(a),
        RunDirectory.configHash(JSON.readTree("{\"b\": 1, \"a\": {\"y\": 2, \"x\": [2, 1]}}")));
  }

  @Test
  void numbersCompareByValueInDiffs() throws Exception {
    var a = JSON.readTree("{\"lr\": 1e-4, \"n\": 3}");
    var b = JSON.readTree("{\"lr\": 0.0001, \"n\": 3.0}");
    assertTrue(RunConfigDiff.between(a, b).isEmpty());
  }

  @Test
  void prefixCoversOnlyWholePathSegments() {
    assertTrue(RunConfigDiff.covers("eval", "eval.num_samples"));
    assertTrue(RunConfigDiff.covers("train.optimizer.betas", "train.optimizer.betas[1]"));
    assertTrue(!RunConfigDiff.covers("eval", "evaluation.x"));
    assertTrue(!RunConfigDiff.covers("train.optimizer", "train.optimizers"));
  }
}
