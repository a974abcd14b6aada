package ai.igspark.testsupport;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Locates committed test fixtures under src/test/resources/fixtures. */
public final class Fixtures {
  private Fixtures() {}

  public static Path path(String relative) {
    try {
      return Path.of(Fixtures.class.getResource("/fixtures/" + relative).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test fixture " + relative, e);
    }
  }
}
