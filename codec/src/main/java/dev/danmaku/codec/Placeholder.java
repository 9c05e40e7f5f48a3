package dev.danmaku.codec; final class Placeholder {}
