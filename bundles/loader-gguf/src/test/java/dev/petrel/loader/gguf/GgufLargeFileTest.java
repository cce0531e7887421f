package dev.petrel.loader.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.TensorType;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mapping: files past 2 GiB, header-only opening, unmapping on close. */
class GgufLargeFileTest {

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    /**
     * A sparse file of just over 3 GiB: a header, a small tensor at the start of the data and
     * one 3 GiB further. Setting the length leaves a hole, so the test takes no disk space.
     */
    private Path sparseModel(long farOffset) throws IOException {
        byte[] header = RawGguf.header(3, 2, 1)
                .uint32Key("general.alignment", 64)
                .tensorInfo("near", 0, 0, 4)
                .tensorInfo("far", 0, farOffset, 4)
                .padAndData(64, 0)
                .toBytes();
        Path path = dir.resolve("sparse.gguf");
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.write(header);
            file.write(floats(1, 2, 3, 4));
            file.setLength(header.length + farOffset + 16);
            file.seek(header.length + farOffset);
            file.write(floats(-1, -2, -3, -4));
        }
        return path;
    }

    private static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    @Test
    void tensorPast2GiB_isMappedAndReadInPlace() throws IOException {
        long far = 3L << 30;
        try (GgufFile file = GgufFile.open(sparseModel(far))) {
            assertTrue(file.header().fileSize() > far);
            TensorInfo tensor = file.requireTensor("far");
            assertEquals(new TensorInfo("far", TensorType.F32, new long[] {4}, far, 16), tensor);
            MemorySegment data = file.data(tensor);
            assertTrue(data.isMapped() && data.isReadOnly());
            for (int i = 0; i < 4; i++) {
                assertEquals(-(i + 1), data.get(LE_FLOAT, 4L * i));
                assertEquals(i + 1, file.data(file.requireTensor("near")).get(LE_FLOAT, 4L * i));
            }
        }
    }

    @Test
    void open_readsTheHeaderWithoutCopyingTensorData() throws IOException {
        int megabytes = 32;
        Path path = GgufWriter.create(dir.resolve("big.gguf"))
                .put("general.architecture", "llama")
                .addTensor("big", TensorType.I8, new long[] {1 << 20, megabytes}, new byte[megabytes << 20])
                .write();
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        GgufFile.open(path).close(); // loads the classes, which allocates
        long before = threads.getCurrentThreadAllocatedBytes();
        try (GgufFile file = GgufFile.open(path)) {
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 256 << 10, "opening allocated " + allocated + " bytes");
            assertEquals((long) megabytes << 20, file.requireTensor("big").byteSize());
        }
    }

    @Test
    void close_unmapsTheFile() throws IOException {
        GgufFile file = GgufFile.open(sparseModel(1 << 20));
        MemorySegment data = file.data(file.requireTensor("far"));
        assertEquals(-1f, data.get(LE_FLOAT, 0));
        file.close();
        assertThrows(IllegalStateException.class, () -> data.get(LE_FLOAT, 0));
    }
}
