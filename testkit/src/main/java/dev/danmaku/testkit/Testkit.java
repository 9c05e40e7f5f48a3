package dev.danmaku.testkit;

/** Test support for real backends on loopback; see the classes of this package. */
final class Testkit {
    private Testkit() {
    }
}
