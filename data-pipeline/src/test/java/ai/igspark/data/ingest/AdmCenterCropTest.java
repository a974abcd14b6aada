package ai.igspark.data.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npy;
import ai.igspark.testsupport.Fixtures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The Java ADM crop against PIL's crops of the same PNGs (gen_images.py). */
class AdmCenterCropTest {

  static Stream<String> cases() throws Exception {
    JsonNode cases =
        new ObjectMapper().readTree(Fixtures.path("adm_crop/cases.json").toFile());
    List<String> names = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = cases.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      names.add(e.getKey() + ":" + e.getValue().get("size").asInt());
    }
    return names.stream();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void cropMatchesPillowWithinOneGreyLevel(String nameAndSize) throws Exception {
    String name = nameAndSize.split(":")[0];
    int size = Integer.parseInt(nameAndSize.split(":")[1]);
    Path png = Fixtures.path("adm_crop/" + name + ".png");
    RgbImage crop = AdmCenterCrop.apply(ImageDecoder.decode(Files.readAllBytes(png)), size);
    HostTensor expected = Npy.read(Fixtures.path("adm_crop/" + name + ".crop" + size + ".npy"));
    assertArrayEquals(new long[] {size, size, 3}, expected.shape());
    long[] want = expected.toLongs();
    int maxDiff = 0;
    int differing = 0;
    for (int i = 0; i < want.length; i++) {
      int d = Math.abs((crop.pixels()[i] & 0xff) - (int) want[i]);
      maxDiff = Math.max(maxDiff, d);
      differing += d != 0 ? 1 : 0;
    }
    assertTrue(maxDiff <= 1, name + ": max difference to PIL " + maxDiff + " grey levels");
    assertEquals(0, differing, name + ": pixels differing from PIL by one grey level");
  }
}
