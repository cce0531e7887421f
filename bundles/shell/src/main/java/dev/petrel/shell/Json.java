package dev.petrel.shell;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/** One JSON object, written field by field, for the commands' {@code --json} output. */
final class Json {

    private static final JsonFactory FACTORY = new JsonFactory();

    private final StringWriter out = new StringWriter();
    private final JsonGenerator json;

    Json() {
        try {
            json = FACTORY.createGenerator(out);
            json.writeStartObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Json ids(String name, int[] ids) {
        return write(() -> {
            json.writeArrayFieldStart(name);
            for (int id : ids) {
                json.writeNumber(id);
            }
            json.writeEndArray();
        });
    }

    Json field(String name, String value) {
        return write(() -> json.writeStringField(name, value));
    }

    Json field(String name, double value) {
        return write(() -> json.writeNumberField(name, value));
    }

    Json field(String name, long value) {
        return write(() -> json.writeNumberField(name, value));
    }

    /** The finished object, on one line. */
    @Override
    public String toString() {
        write(() -> {
            json.writeEndObject();
            json.close();
        });
        return out.toString();
    }

    private Json write(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    private interface IoAction {
        void run() throws IOException;
    }
}
