package ai.igspark.data.format;

import java.util.Arrays;
import java.util.Optional;

/** How {@code labels} are to be read. */
public enum LabelMode {
  /** Class indices in [0, num_classes). */
  CLASS("class"),
  /** Unconditional data: every label is 0 and num_classes is 1. */
  NONE("none");

  private final String jsonName;

  LabelMode(String jsonName) {
    this.jsonName = jsonName;
  }

  public String jsonName() {
    return jsonName;
  }

  public static Optional<LabelMode> fromJsonName(String name) {
    return Arrays.stream(values()).filter(k -> k.jsonName.equals(name)).findFirst();
  }
}
