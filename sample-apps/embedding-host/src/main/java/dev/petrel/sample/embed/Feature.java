package dev.petrel.sample.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an OSGi R8 feature (JSON) a host needs: the bundles, as Maven coordinates
 * {@code groupId:artifactId:version}, and the framework properties.
 */
public record Feature(String id, List<String> bundles, Map<String, String> frameworkProperties) {

    /** Reads a feature shipped in the petrel-features jar, e.g. {@code petrel-core-cpu}. */
    public static Feature named(String name) throws IOException {
        String resource = "/features/" + name + ".json";
        try (InputStream in = Feature.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no feature " + resource + " on the class path");
            }
            return parse(resource, in);
        }
    }

    static Feature parse(String source, InputStream in) throws IOException {
        JsonNode json = new ObjectMapper().readTree(in);
        if (!json.path("id").isTextual() || !json.path("bundles").isArray()) {
            throw new IOException(source + ": not a feature: needs an \"id\" and a \"bundles\" array");
        }
        List<String> bundles = new ArrayList<>();
        for (JsonNode bundle : json.get("bundles")) {
            bundles.add(bundle.isTextual() ? bundle.asText() : bundle.path("id").asText());
        }
        Map<String, String> properties = new LinkedHashMap<>();
        json.path("framework-properties").properties().forEach(e -> properties.put(e.getKey(), e.getValue().asText()));
        return new Feature(json.get("id").asText(), List.copyOf(bundles), properties);
    }
}
