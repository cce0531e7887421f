package dev.petrel.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HubReferenceTest {

    @Test
    void parse_readsOwnerRepositoryAndFileWithMainRevision() {
        HubReference ref = HubReference.parse("hf://bartowski/Some-Model-GGUF/Some-Model-Q8_0.gguf");
        assertEquals(new HubReference("bartowski", "Some-Model-GGUF", "main", "Some-Model-Q8_0.gguf"), ref);
        assertEquals("hf://bartowski/Some-Model-GGUF/Some-Model-Q8_0.gguf", ref.toString());
    }

    @Test
    void parse_readsRevisionAndNestedFile() {
        HubReference ref = HubReference.parse("hf://org/repo@refs%2Fpr%2F3/Q8_0/part-00001-of-00002.gguf");
        assertEquals("refs/pr/3", ref.revision());
        assertEquals("Q8_0/part-00001-of-00002.gguf", ref.file());
        assertEquals("part-00001-of-00002.gguf", ref.fileName());
        assertEquals("hf://org/repo@refs%2Fpr%2F3/Q8_0/part-00001-of-00002.gguf", ref.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf://owner/repo", "hf://owner/repo/", "hf://owner", "hf://../repo/f.gguf",
            "hf://owner/repo/../../etc/passwd", "hf://owner/repo/a//b.gguf", "hf://owner/re po/f.gguf",
            "hf://owner/repo@/f.gguf", "hf://owner/repo@../x/f.gguf", "hf://owner/repo/C:\\f.gguf",
            "/local/file.gguf"})
    void parse_rejectsMalformedReferences(String model) {
        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> HubReference.parse(model));
        assertEquals(ModelResolutionException.Reason.INVALID_REFERENCE, e.reason());
        assertTrue(e.getMessage().contains(model), e.getMessage());
    }

    @Test
    void isHubReference_onlyForTheHfScheme() {
        assertTrue(HubReference.isHubReference("hf://a/b/c"));
        assertTrue(HubReference.isHubReference("HF://a/b/c"));
        assertFalse(HubReference.isHubReference("models/a.gguf"));
        assertFalse(HubReference.isHubReference(null));
    }

    @Test
    void resolveUri_percentEncodesEachPart() {
        HubReference ref = HubReference.parse("hf://org/repo@refs%2Fpr%2F3/dir/my model+1.gguf");
        assertEquals(URI.create("https://huggingface.co/org/repo/resolve/refs%2Fpr%2F3/dir/my%20model%2B1.gguf"),
                ref.resolveUri(URI.create("https://huggingface.co/")));
    }

    @Test
    void cachePath_isOwnerRepoFileAndMarksOtherRevisions() {
        Path models = Path.of("cache", "models");
        assertEquals(models.resolve("o/r/f.gguf"), HubReference.parse("hf://o/r/f.gguf").cachePath(models));
        assertEquals(models.resolve("o/r@v1.0/d/f.gguf"), HubReference.parse("hf://o/r@v1.0/d/f.gguf").cachePath(models));
    }

    @Test
    void defaultModel_isAValidReferenceToAQ8ZeroGguf() {
        HubReference ref = HubReference.parse(ModelResolver.DEFAULT_MODEL);
        assertEquals("bartowski", ref.owner());
        assertEquals("DeepSeek-R1-Distill-Qwen-1.5B-GGUF", ref.repository());
        assertEquals("DeepSeek-R1-Distill-Qwen-1.5B-Q8_0.gguf", ref.file());
        assertEquals(URI.create("https://huggingface.co/bartowski/DeepSeek-R1-Distill-Qwen-1.5B-GGUF/resolve/main/"
                + "DeepSeek-R1-Distill-Qwen-1.5B-Q8_0.gguf"), ref.resolveUri(URI.create("https://huggingface.co")));
    }
}
