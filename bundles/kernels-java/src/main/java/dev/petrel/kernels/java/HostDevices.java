package dev.petrel.kernels.java;

import dev.petrel.api.kernel.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/** The {@link Device} a host backend describes: the machine's memory and its worker threads. */
final class HostDevices {

    private HostDevices() {
    }

    static Device of(int threads, Set<String> capabilities) {
        return new Device("cpu", "java", physicalMemory(), threads, true, capabilities);
    }

    /** Total memory from /proc/meminfo where there is one, else what the heap may grow to. */
    private static long physicalMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or unreadable: fall through.
        }
        return Runtime.getRuntime().maxMemory();
    }
}
