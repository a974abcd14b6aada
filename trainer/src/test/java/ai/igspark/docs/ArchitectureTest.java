package ai.igspark.docs;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of docs/ARCHITECTURE.md §1, checked on the compiled main classes of all modules: no
 * package cycle, Spark and Hadoop only where the rules allow them, and every package's igspark
 * dependencies exactly as its row of the package table lists them (so the table stays true).
 */
class ArchitectureTest {
  /** Packages that may use Spark (and Scala, which its API exposes). */
  static final String[] SPARK = {
    "ai.igspark.spark..", "ai.igspark.data.ingest..", "ai.igspark.eval.job..",
    "ai.igspark.train..", "ai.igspark.cli..", "ai.igspark.bench.."
  };
  /** Packages that may use Hadoop's FileSystem API. */
  static final String[] HADOOP = {
    "ai.igspark.data.format..", "ai.igspark.data.ingest..", "ai.igspark.data.bench..",
    "ai.igspark.ckpt..", "ai.igspark.eval.fmnist..", "ai.igspark.eval.job..",
    "ai.igspark.train..", "ai.igspark.cli..", "ai.igspark.bench..", "ai.igspark.metrics.tensorboard.."
  };
  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
        .importPackages(PackageTable.BASE);
    assertTrue(main.size() > 300, "imported only " + main.size() + " main classes");
  }

  @Test
  void noPackageCycles() {
    slices().matching("ai.igspark.(**)").should().beFreeOfCycles().check(main);
  }

  @Test
  void sparkOnlyInItsPackages() {
    noClasses().that().resideOutsideOfPackages(SPARK)
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.spark..", "scala..")
        .check(main);
  }

  @Test
  void hadoopOnlyInItsPackages() {
    noClasses().that().resideOutsideOfPackages(HADOOP)
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.hadoop..")
        .check(main);
  }

  @Test
  void everyPackageDependsOnExactlyWhatItsTableRowLists() throws IOException {
    Map<String, Set<String>> actual = igsparkDependencies();
    Map<String, String> wrong = new TreeMap<>();
    PackageTable.read(root()).rows().forEach((pkg, row) -> {
      Set<String> got = actual.getOrDefault(pkg, Set.of());
      if (!got.equals(row.dependsOn())) {
        Set<String> undeclared = new TreeSet<>(got);
        undeclared.removeAll(row.dependsOn());
        Set<String> unused = new TreeSet<>(row.dependsOn());
        unused.removeAll(got);
        wrong.put(pkg, "undeclared " + shortNames(undeclared) + ", listed but unused "
            + shortNames(unused));
      }
    });
    assertEquals(Map.of(), wrong, "docs/ARCHITECTURE.md §1 package table, 'depends on' column");
  }

  /** Package → the other igspark packages its classes depend on (any kind of reference). */
  private static Map<String, Set<String>> igsparkDependencies() {
    Map<String, Set<String>> out = new TreeMap<>();
    for (JavaClass c : main) {
      for (Dependency d : c.getDirectDependenciesFromSelf()) {
        String target = d.getTargetClass().getBaseComponentType().getPackageName();
        if (target.startsWith(PackageTable.BASE + ".") && !target.equals(c.getPackageName())) {
          out.computeIfAbsent(c.getPackageName(), k -> new TreeSet<>()).add(target);
        }
      }
    }
    return out;
  }

  private static Set<String> shortNames(Set<String> packages) {
    Set<String> out = new TreeSet<>();
    packages.forEach(p -> out.add(p.substring(PackageTable.BASE.length() + 1)));
    return out;
  }

  private static Path root() {
    return Path.of(System.getProperty("igspark.project.dir")).toAbsolutePath().normalize();
  }
}
