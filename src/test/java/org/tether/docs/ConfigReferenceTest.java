package org.tether.docs;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docs/configuration.md} is what the code says: every key the agent reads, with a description, and the
 * committed page equal to what {@link ConfigReference} makes of the code now.
 */
class ConfigReferenceTest {
    private static final Path PAGE = Path.of("docs/configuration.md");

    @Test
    void everyKeyHasADescriptionAndTheCommittedPageIsTheGeneratedOne() throws Exception {
        List<ConfigReference.Key> keys = ConfigReference.keys();
        assertThat(keys).as("SmallRye's mapping of TetherConfig").hasSizeGreaterThan(100)
                .anySatisfy(k -> assertThat(k.name()).isEqualTo("tether.mode"))
                .anySatisfy(k -> assertThat(k.name()).isEqualTo("tether.backup.stores.*.encryption-key-id"));
        assertThat(keys.stream().filter(k -> k.description().isBlank()).map(ConfigReference.Key::name))
                .as("keys without a description (the Javadoc of their method in TetherConfig)").isEmpty();
        String generated = ConfigReference.markdown(keys);
        GeneratedPage.check(PAGE, generated, "ConfigReferenceTest");
    }

    @Test
    void aDocCommentBecomesOneLineOfMarkdown() {
        assertThat(ConfigReference.flatten("""
                The key manager's id of a key ({@code tether.cinder.auth-url}), see {@link #mode}.
                <p>Second | paragraph.
                @return nothing""")).isEqualTo("The key manager's id of a key (`tether.cinder.auth-url`), see mode. "
                + "Second \\| paragraph.");
    }
}
