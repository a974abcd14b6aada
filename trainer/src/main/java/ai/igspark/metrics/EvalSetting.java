package ai.igspark.metrics;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * How an evaluation's samples were drawn: with the metric, what tells one evaluation of a step
 * from another in a guidance sweep (the notebooks keep the last record per step and setting).
 *
 * @param labelMode {@code random} or {@code balanced}
 * @param sampler the sampler's config name
 * @param steps sampling steps
 * @param igInterval [lo, hi] of t where IG applies
 * @param cfgInterval [lo, hi] of t where CFG applies
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvalSetting(
    Integer numSamples,
    String labelMode,
    String sampler,
    Integer steps,
    Float igScale,
    List<Float> igInterval,
    Float cfgScale,
    List<Float> cfgInterval) {

  public static final String BALANCED = "balanced";
  public static final String RANDOM = "random";
}
