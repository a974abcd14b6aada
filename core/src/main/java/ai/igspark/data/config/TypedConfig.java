package ai.igspark.data.config;

import ai.igspark.data.InvalidInputException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * Reads YAML or JSON configuration into Java records, strictly: unknown keys, wrong types and
 * values a record's constructor rejects are {@link InvalidInputException}s that name the source,
 * the full key path and what was expected. Records validate ranges in their compact constructors
 * by throwing {@link InvalidInputException} with the key name; this class prefixes the path.
 */
public final class TypedConfig {
  private static final ObjectMapper YAML =
      YAMLMapper.builder()
          // Config files spell enum values in lower case (sampler: ode-heun is mapped by the enum).
          .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
          .build()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

  private TypedConfig() {}

  /** The mapper used for configs (YAML, which also reads JSON). */
  public static ObjectMapper mapper() {
    return YAML;
  }

  /** Reads {@code file} (YAML or JSON) into {@code type}. */
  public static <T> T read(Path file, Class<T> type) {
    JsonNode tree = readTree(file);
    return convert(tree, type, file.toString());
  }

  /**
   * Parses a file into a tree, with a clear error for a missing or malformed file and for a key
   * given twice in one mapping (YAML itself would let the last one win silently).
   */
  public static JsonNode readTree(Path file) {
    try {
      String text = Files.readString(file);
      DuplicateKeys.check(YAML, text, file.toString());
      JsonNode tree = YAML.readTree(text);
      if (tree == null || tree.isMissingNode() || tree.isNull()) {
        throw new InvalidInputException(file + ": the file is empty; expected a YAML mapping");
      }
      return tree;
    } catch (NoSuchFileException e) {
      throw new InvalidInputException(file + ": no such file");
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(
          file + ": not valid YAML/JSON: " + e.getOriginalMessage() + location(e));
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Converts a parsed tree (or a Map) into {@code type}. {@code source} names where the tree came
   * from (a file, or "file: key") and starts every error message.
   */
  public static <T> T convert(Object tree, Class<T> type, String source) {
    try {
      JsonNode node = tree instanceof JsonNode n ? n : YAML.valueToTree(tree);
      // Jackson builds a record before it reports the record's unknown keys, so a misspelt
      // required key would surface as "missing"; name the misspelling first.
      KnownKeys.check(YAML, node, type, source);
      return YAML.treeToValue(node, type);
    } catch (JsonProcessingException e) {
      throw translate(e, source);
    } catch (IllegalArgumentException e) {
      if (e.getCause() instanceof JsonProcessingException jpe) {
        throw translate(jpe, source);
      }
      throw e;
    }
  }

  private static InvalidInputException translate(JsonProcessingException e, String source) {
    String path = e instanceof JsonMappingException m ? path(m) : "";
    String where = path.isEmpty() ? source : source + ": key '" + path + "'";
    if (e instanceof UnrecognizedPropertyException u) {
      String known =
          u.getKnownPropertyIds() == null
              ? ""
              : " (known keys here: "
                  + u.getKnownPropertyIds().stream()
                      .map(String::valueOf)
                      .sorted()
                      .collect(Collectors.joining(", "))
                  + ")";
      return new InvalidInputException(source + ": unknown key '" + path + "'" + known);
    }
    if (e instanceof ValueInstantiationException v) {
      Throwable cause = v.getCause();
      while (cause != null && !(cause instanceof InvalidInputException)) {
        cause = cause.getCause();
      }
      if (cause != null) {
        return new InvalidInputException(where + ": " + cause.getMessage(), cause);
      }
      return new InvalidInputException(where + ": " + v.getOriginalMessage());
    }
    if (e instanceof InvalidFormatException f) {
      return new InvalidInputException(
          where
              + ": expected "
              + describe(f.getTargetType())
              + ", got "
              + quote(f.getValue()));
    }
    if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
      return new InvalidInputException(
          where + ": expected " + describe(m.getTargetType()) + " (" + m.getOriginalMessage() + ")");
    }
    return new InvalidInputException(where + ": " + e.getOriginalMessage());
  }

  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String describe(Class<?> type) {
    if (type == null) {
      return "a value";
    }
    if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
      return "an integer";
    }
    if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
      return "a number";
    }
    if (type == boolean.class || type == Boolean.class) {
      return "true or false";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type.isEnum()) {
      StringBuilder sb = new StringBuilder("one of ");
      Object[] constants = type.getEnumConstants();
      for (int i = 0; i < constants.length; i++) {
        sb.append(i == 0 ? "" : ", ").append(constants[i].toString().toLowerCase());
      }
      return sb.toString();
    }
    if (type.isRecord()) {
      return "a mapping";
    }
    return "a " + type.getSimpleName();
  }

  private static String quote(Object value) {
    return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
  }

  private static String location(JsonProcessingException e) {
    return e.getLocation() == null
        ? ""
        : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
  }
}
