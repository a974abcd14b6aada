package ai.igspark.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The repository stands alone: its files cite only documents it contains, every section a
 * citation names exists, and docs/ARCHITECTURE.md's package table matches the code.
 */
class SelfContainedRepositoryTest {

  /**
   * Strings that point at material outside the repository. Each is assembled from two parts so
   * that this file does not contain the strings it looks for.
   */
  private static final List<String> FORBIDDEN =
      List.of(
          ".." + "/shared",
          "shared" + "/spec",
          "shared" + "/reference",
          "internal" + "-guidance.md",
          "platform" + "-notes.md",
          "distributed-training" + "-anchors",
          "spec" + "/evaluation.md",
          "spec" + "/architecture.md",
          "igspark.shared" + ".dir");

  /** {@code [dir/]NAME.md §N[.M]}, the doc and the first section on one line. */
  private static final Pattern CITATION =
      Pattern.compile(
          "((?:\\.{1,2}/|[A-Za-z0-9_-]+/)*)([A-Za-z0-9_-]+\\.md)[`)\\]]*[ \\t]*§[ \\t]*"
              + "(\\d+(?:\\.\\d+)*)");

  /** Further sections of the same citation: {@code –4.2}, {@code , §4}, {@code and §10}. */
  private static final Pattern MORE_SECTIONS =
      Pattern.compile(
          "\\G(?:[ \\t]*[–-][ \\t]*§?|[ \\t]*,[ \\t]*§|[ \\t]+and[ \\t]+§)[ \\t]*"
              + "(\\d+(?:\\.\\d+)*)");

  /** A Markdown heading that starts with a section number: {@code ## 2.}, {@code ### 2.3 Loss}. */
  private static final Pattern NUMBERED_HEADING =
      Pattern.compile("^#{1,6}[ \\t]+(\\d+(?:\\.\\d+)*)\\.?(?:[ \\t]|$)");

  @Test
  void noTextFileRefersToMaterialOutsideTheRepository() throws IOException {
    List<String> offences = new ArrayList<>();
    for (String file : textFiles()) {
      List<String> lines = lines(file);
      for (int i = 0; i < lines.size(); i++) {
        for (String forbidden : FORBIDDEN) {
          if (lines.get(i).contains(forbidden)) {
            offences.add(file + ":" + (i + 1) + ": '" + forbidden + "'");
          }
        }
      }
    }
    assertTrue(
        offences.isEmpty(),
        () ->
            "these lines refer to documents outside the repository; cite docs/METHOD.md,"
                + " docs/METRICS.md, docs/PLATFORM.md or docs/ARCHITECTURE.md instead:\n  "
                + String.join("\n  ", offences));
  }

  @Test
  void everySectionCitationNamesAHeadingOfTheCitedDocument() throws IOException {
    Map<Path, Set<String>> headings = new TreeMap<>();
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (String file : textFiles()) {
      List<String> lines = lines(file);
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = CITATION.matcher(lines.get(i));
        while (m.find()) {
          String where = file + ":" + (i + 1) + ": " + m.group().strip();
          Path doc = citedDocument(file, m.group(1), m.group(2));
          if (!Files.isRegularFile(doc)) {
            broken.add(where + " -> no such document " + root().relativize(doc));
            continue;
          }
          Set<String> sections =
              headings.computeIfAbsent(doc, SelfContainedRepositoryTest::sections);
          List<String> cited = new ArrayList<>(List.of(m.group(3)));
          Matcher more = MORE_SECTIONS.matcher(lines.get(i));
          more.region(m.end(), lines.get(i).length());
          while (more.find()) {
            cited.add(more.group(1));
            m.region(more.end(), lines.get(i).length());
          }
          for (String section : cited) {
            checked++;
            if (!sections.contains(section)) {
              broken.add(where + " -> " + root().relativize(doc) + " has no heading §" + section);
            }
          }
        }
      }
    }
    assertTrue(checked > 50, "found only " + checked + " section citations; is the pattern right?");
    assertTrue(
        broken.isEmpty(),
        () ->
            "citations that do not resolve to a numbered heading:\n  "
                + String.join("\n  ", broken));
  }

  @Test
  void thePackageTableNamesExactlyThePackagesOfTheCode() throws IOException {
    Set<String> inCode = codePackages().keySet();
    Set<String> inTable = packageTable().keySet();
    Set<String> missing = new TreeSet<>(inCode);
    missing.removeAll(inTable);
    Set<String> extra = new TreeSet<>(inTable);
    extra.removeAll(inCode);
    assertTrue(
        missing.isEmpty() && extra.isEmpty(),
        () ->
            "docs/ARCHITECTURE.md §1 package table: missing " + missing + ", not in the code "
                + extra);
  }

  @Test
  void eachPackageRowNamesTheModuleThatHoldsIt() throws IOException {
    Map<String, String> inCode = codePackages();
    Map<String, String> wrong = new TreeMap<>();
    packageTable()
        .forEach(
            (pkg, module) -> {
              String actual = inCode.get(pkg);
              if (actual != null && !actual.equals(module)) {
                wrong.put(pkg, module + " (the code has it in " + actual + ")");
              }
            });
    assertEquals(Map.of(), wrong, "docs/ARCHITECTURE.md §1 package table: wrong module");
  }

  // ------------------------------------------------------------------------------------------

  private static Path root() {
    String dir = System.getProperty("igspark.project.dir");
    if (dir == null) {
      throw new IllegalStateException("system property igspark.project.dir is not set (surefire)");
    }
    return Path.of(dir).toAbsolutePath().normalize();
  }

  /**
   * Where a citation points: a path with a directory is taken from the repository root (or from
   * the citing file when it starts with ./ or ../); a bare name is a sibling of the citing file.
   */
  private static Path citedDocument(String citingFile, String dir, String name) {
    Path citingDir = root().resolve(citingFile).getParent();
    if (dir.isEmpty() || dir.startsWith("./") || dir.startsWith("../")) {
      return citingDir.resolve(dir + name).normalize();
    }
    return root().resolve(dir + name).normalize();
  }

  /** Section numbers of the numbered headings of a Markdown file, outside code blocks. */
  private static Set<String> sections(Path doc) {
    Set<String> out = new TreeSet<>();
    boolean inCode = false;
    try {
      for (String line : Files.readAllLines(doc, StandardCharsets.UTF_8)) {
        if (line.stripLeading().startsWith("```")) {
          inCode = !inCode;
          continue;
        }
        Matcher m = NUMBERED_HEADING.matcher(line);
        if (!inCode && m.find()) {
          out.add(m.group(1));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Package → module (the directory above src/main/java) of every main Java source. */
  private static Map<String, String> codePackages() throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root())) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path rel = root().relativize(p);
        String s = rel.toString().replace('\\', '/');
        int src = s.indexOf("/src/main/java/");
        if (!s.endsWith(".java") || src < 0 || s.contains("/target/") || s.startsWith(".git")) {
          continue;
        }
        String module = s.substring(0, src);
        String dir = s.substring(src + "/src/main/java/".length(), s.lastIndexOf('/'));
        out.put(dir.replace('/', '.'), module);
      }
    }
    assertTrue(out.size() > 10, "found only " + out + " under */src/main/java");
    return out;
  }

  /** Package → module as the table in docs/ARCHITECTURE.md lists them. */
  private static Map<String, String> packageTable() throws IOException {
    return PackageTable.read(root()).modules();
  }

  /**
   * Text files of the working tree that git does not ignore (tracked ones and new ones), as paths
   * relative to the root; without git, every file outside target/ and .git/. Files holding a NUL
   * byte are binary and left out.
   */
  private static List<String> textFiles() throws IOException {
    List<String> names = gitFiles();
    if (names == null) {
      names = new ArrayList<>();
      try (Stream<Path> files = Files.walk(root())) {
        for (Path p : (Iterable<Path>) files::iterator) {
          String rel = root().relativize(p).toString().replace('\\', '/');
          if (Files.isRegularFile(p)
              && !rel.startsWith(".git/")
              && !rel.equals(".git")
              && !("/" + rel).contains("/target/")) {
            names.add(rel);
          }
        }
      }
    }
    List<String> text = new ArrayList<>();
    for (String name : names) {
      Path p = root().resolve(name);
      if (Files.isRegularFile(p) && !isBinary(p)) {
        text.add(name);
      }
    }
    assertTrue(text.size() > 100, "found only " + text.size() + " text files under " + root());
    return text;
  }

  /** {@code git ls-files} (tracked and untracked, not ignored), or null when git cannot say. */
  private static List<String> gitFiles() {
    try {
      Process git =
          new ProcessBuilder("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
              .directory(root().toFile())
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      byte[] out = git.getInputStream().readAllBytes();
      if (!git.waitFor(60, TimeUnit.SECONDS) || git.exitValue() != 0) {
        git.destroyForcibly();
        return null;
      }
      List<String> names = new ArrayList<>();
      for (String name : new String(out, StandardCharsets.UTF_8).split("\0")) {
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
      return new ArrayList<>(new TreeSet<>(names));
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static boolean isBinary(Path p) throws IOException {
    try (InputStream in = Files.newInputStream(p)) {
      byte[] head = in.readNBytes(8192);
      for (byte b : head) {
        if (b == 0) {
          return true;
        }
      }
      return false;
    }
  }

  private static List<String> lines(String relative) throws IOException {
    String text = new String(Files.readAllBytes(root().resolve(relative)), StandardCharsets.UTF_8);
    return List.of(text.split("\r?\n", -1));
  }
}
