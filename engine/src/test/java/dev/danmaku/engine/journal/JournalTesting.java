package dev.danmaku.engine.journal;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Helpers for the journal tests: appending bullets from Java strings, and starting child JVMs. */
final class JournalTesting {
    /** Default seed of the randomized tests; override with -Ddanmaku.seed. */
    static final long SEED = Long.getLong("danmaku.seed", 0x5EED_10A7_4A11_0001L);

    /** The root pom's danmaku.jvm.flags, used if this JVM was not started with them (an IDE run). */
    private static final String[] FALLBACK_FLAGS = {
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED", "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
        "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Dchronicle.analytics.disable=true", "--enable-native-access=ALL-UNNAMED",
        "-XX:+IgnoreUnrecognizedVMOptions", "--sun-misc-unsafe-memory-access=allow",
    };

    private JournalTesting() {
    }

    /** A scratch buffer holding three strings for {@link #append}. */
    static final class Strings {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);
        int nameLength;
        int contentLength;
        int colorLength;

        Strings set(final String name, final String content, final String color) {
            final byte[] n = name.getBytes(StandardCharsets.UTF_8);
            final byte[] c = content.getBytes(StandardCharsets.UTF_8);
            final byte[] k = color.getBytes(StandardCharsets.UTF_8);
            buffer.putBytes(0, n);
            buffer.putBytes(n.length, c);
            buffer.putBytes(n.length + c.length, k);
            nameLength = n.length;
            contentLength = c.length;
            colorLength = k.length;
            return this;
        }

        boolean append(final JournalWriter writer, final long room, final long epoch, final long seq, final long ts,
                       final long user, final long acceptMs, final int level) {
            return writer.appendBullet(room, epoch, seq, ts, user, acceptMs, level, buffer,
                    0, nameLength, nameLength, contentLength, nameLength + contentLength, colorLength);
        }
    }

    /** JVM flags for a child JVM: this JVM's module flags (the surefire argLine), else the pom's list. */
    static List<String> childJvmFlags() {
        final List<String> flags = new ArrayList<>();
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc")
                    || arg.startsWith("-XX:+IgnoreUnrecognizedVMOptions") || arg.startsWith("-Dchronicle.")) {
                flags.add(arg);
            }
        }
        if (flags.stream().noneMatch(f -> f.contains("sun.nio.ch"))) {
            flags.clear();
            flags.addAll(List.of(FALLBACK_FLAGS));
        }
        return flags;
    }

    /** Starts {@code main} in a child JVM with this JVM's classpath and the module flags. */
    static Process startChild(final Class<?> main, final Path stderr, final String... args) throws java.io.IOException {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(childJvmFlags());
        command.add("-Xmx256m");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
                .start();
    }

    static File[] cycleFiles(final Path dir) {
        final File[] files = dir.toFile().listFiles((d, n) -> n.endsWith(".cq4"));
        return files == null ? new File[0] : files;
    }
}
