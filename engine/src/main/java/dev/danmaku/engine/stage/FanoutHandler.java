package dev.danmaku.engine.stage;

import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.BatchEncoder;
import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.RedirectDecoder;
import dev.danmaku.engine.cluster.ClusterLink;
import dev.danmaku.engine.cluster.HandoffDocument;
import dev.danmaku.engine.cluster.Ownership;
import dev.danmaku.codec.RoomInfoDecoder;
import dev.danmaku.engine.journal.Journal;
import dev.danmaku.engine.journal.JournalLayout;
import dev.danmaku.engine.journal.JournalReader;
import dev.danmaku.engine.journal.JournalRecord;
import dev.danmaku.engine.journal.RecordHandler;
import dev.danmaku.engine.journal.RoomJournalIndex;
import dev.danmaku.engine.ring.RingEvent;
import dev.danmaku.engine.ring.Stage;
import dev.danmaku.engine.room.EpochChain;
import dev.danmaku.engine.room.Leaderboard;
import dev.danmaku.engine.room.Room;
import dev.danmaku.engine.room.RoundRobinSweep;
import dev.danmaku.engine.room.RoomHistory;
import dev.danmaku.engine.transport.Connection;
import dev.danmaku.engine.transport.Egress;
import io.netty.buffer.ByteBuf;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongArrayList;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * Stage 4: rooms, replies and delivery; the single writer of room state (viewers, history,
 * leaderboard, batching). For each event it answers the sender (ACK, ERROR, ROOM_INFO, JOINED),
 * appends accepted bullets to their room's history, and seals a room's pending bullets into one
 * BATCH, encoded and compressed once and queued to every viewer through {@link Egress}: when the
 * oldest pending bullet has waited {@code batchIntervalMs} (checked on ticks), when the pending
 * bytes or count reach their limit, or at the end of every ring batch when the interval is 0.
 *
 * <p>Owned by its stage thread. Allocation-free per bullet in steady state; joins, leaves and new
 * rooms allocate (copy-on-write viewer arrays, room objects).
 */
public final class FanoutHandler implements Stage {
    /** Settings copied once from the node configuration. */
    public record Settings(long batchIntervalMs, int maxBatchBytes, int historySize, int historyBytes,
                           int rankingTopN, long rankingIntervalMs, long bulletWeight, long byteWeight,
                           int maxLeaderboardUsers, int maxReplayScan) {
    }

    /** Where resumes beyond the in-memory history are read from; null when there is no journal. */
    private final Journal journal;
    /** Per-room checkpoints into the journal, kept by this stage (the journal stage tells it each bullet's document). */
    private final RoomJournalIndex journalIndex = new RoomJournalIndex();
    private JournalReader reader;
    private final JournalReplay replay = new JournalReplay();

    private final Settings settings;
    private final Egress egress;
    private final BatchEncoder encoder;
    private final EpochClock epochClock;
    private final NanoClock nanoClock;
    private final StageMetrics metrics;
    private final Long2ObjectHashMap<Room> rooms = new Long2ObjectHashMap<>();
    private final List<Room> dirty = new ArrayList<>();
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final long[] rankUsers = new long[Protocol.MAX_RANKING_COUNT];
    private final long[] rankScores = new long[Protocol.MAX_RANKING_COUNT];
    /**
     * Every room id once, in creation order: the ranking sweep walks it round-robin so that each room
     * is visited once per ranking interval, spread over the interval instead of all rooms in one
     * tick (with 5,000 rooms that one tick stalled every batch behind it for 100-250 ms).
     */
    private final LongArrayList rankingOrder = new LongArrayList();
    private final RoundRobinSweep rankingSweep;
    private long nextSnapshotMs;
    private volatile List<RoomSummary> snapshot = List.of();

    /** What the admin API shows of a room; published by the fan-out stage about once a second. */
    public record RoomSummary(long id, long epoch, long lastSequence, long firstRetainedSequence, int viewers,
                              int historyEntries, int historyBytes, int leaderboardUsers, long[] topUsers,
                              long[] topScores) {
    }
    private long nowMs;
    private boolean clockFresh;

    public FanoutHandler(Settings settings, Egress egress, BatchEncoder encoder, EpochClock epochClock,
                         NanoClock nanoClock, StageMetrics metrics, Journal journal) {
        this.journal = journal;
        this.settings = settings;
        this.egress = egress;
        this.encoder = encoder;
        this.epochClock = epochClock;
        this.nanoClock = nanoClock;
        this.metrics = metrics;
        this.rankingSweep = new RoundRobinSweep(settings.rankingIntervalMs());
    }

    @Override
    public void onEvent(RingEvent e) {
        if (!clockFresh) {
            nowMs = epochClock.time();
            clockFresh = true;
        }
        switch (e.kind) {
            case RingEvent.KIND_FRAME -> onFrame(e);
            case RingEvent.KIND_TICK -> onTick();
            case RingEvent.KIND_DISCONNECT -> onDisconnect(e.connection);
            case RingEvent.KIND_FLUSH -> sealAll();
            case RingEvent.KIND_RELEASE -> release(e);
            case RingEvent.KIND_INSTALL -> install(e);
            case RingEvent.KIND_CLUSTER -> onOwnership(e);
            default -> {
            }
        }
    }

    @Override
    public void onEndOfBatch(RingEvent last) {
        if (settings.batchIntervalMs() == 0) {
            sealAll();
        }
        egress.flush();
        clockFresh = false;
    }

    // ---- replies -------------------------------------------------------------------------------

    private void onFrame(RingEvent e) {
        if (e.status != 0) {
            error(e);
            return;
        }
        if (e.redirectAddress != null) {
            ByteBuf buf = egress.allocate(REDIRECT_MAX);
            Egress.wrapForEncode(view, buf);
            int n = FrameEncoder.redirect(view, 0, e.roomId, RedirectDecoder.KIND_REDIRECT, 0, e.redirectAddress);
            egress.unicast(e.connection, Egress.seal(buf, n));
            return;
        }
        FrameType type = FrameType.of(e.type);
        switch (type) {
            case BULLET -> onBullet(e);
            case CREATE_ROOM, CHECK_ROOM -> roomInfo(e, room(e.roomId, e.epoch, type == FrameType.CREATE_ROOM));
            case JOIN -> onJoin(e);
            case LEAVE -> {
                Room room = rooms.get(e.roomId);
                if (room != null) {
                    room.removeViewer(e.connection);
                }
                e.connection.rooms().remove(e.roomId);
            }
            default -> {
            }
        }
    }

    private void error(RingEvent e) {
        int code = e.status;
        metrics.rejects[Math.min(code, metrics.rejects.length - 1)]++;
        ErrorCode known = ErrorCode.of(code);
        ByteBuf buf = egress.allocate(ErrorDecoderLength.MAX);
        Egress.wrapForEncode(view, buf);
        int n = FrameEncoder.error(view, 0, code, e.type, Math.max(0, e.timestamp), e.roomId, e.retryAfterMs,
                known == null ? "error" : known.message());
        Egress.seal(buf, n);
        if (code >= 100 && code < 200) {
            // The peer does not speak the protocol: answer, then close (docs/protocol.md, section 6).
            egress.unicastAndClose(e.connection, buf);
        } else {
            egress.unicast(e.connection, buf);
        }
    }

    private void onBullet(RingEvent e) {
        if (!e.retry) {
            Room room = room(e.roomId, e.epoch, true);
            append(room, e);
            if (e.journalIndex >= 0 && journalIndex.wants(e.roomId, e.epoch, e.sequence)) {
                journalIndex.record(e.roomId, e.epoch, e.sequence, e.journalIndex);
            }
            metrics.ackLatency.recordValue(StageMetrics.latency(nanoClock.nanoTime() - e.receivedNanos));
        }
        egress.beginSmall(view, AckDecoder.LENGTH);
        int n = FrameEncoder.ack(view, 0, e.timestamp, e.roomId, e.epoch, e.sequence,
                e.retry ? AckDecoder.FLAG_RETRY : 0);
        egress.unicastSmall(e.connection, n);
    }

    private void roomInfo(RingEvent e, Room room) {
        ByteBuf buf = egress.allocate(64);
        Egress.wrapForEncode(view, buf);
        int flags = room == null ? 0 : RoomInfoDecoder.FLAG_EXISTS | RoomInfoDecoder.FLAG_LOCAL
                | (e.created ? RoomInfoDecoder.FLAG_CREATED : 0);
        int n = FrameEncoder.roomInfo(view, 0, e.timestamp, e.roomId, flags, room == null ? 0 : room.viewerCount(),
                room == null ? 0 : room.epoch(), room == null ? 0 : room.lastSequence(), "");
        egress.unicast(e.connection, Egress.seal(buf, n));
    }

    // ---- rooms ---------------------------------------------------------------------------------

    // ---- cluster: rooms leaving and arriving ---------------------------------------------------

    /** Largest REDIRECT frame: an address of 256 characters of up to 3 UTF-8 bytes. */
    private static final int REDIRECT_MAX = RedirectDecoder.ADDRESS_OFFSET + 2 + 3 * Protocol.MAX_ADDRESS_LENGTH;

    private ClusterLink link;
    private String self = "";
    private long lastUnknownLogMs = Long.MIN_VALUE / 2;

    /** Cluster mode: where handoff documents go, and this node's id (before the ring starts). */
    public void cluster(String self, ClusterLink link) {
        this.self = self;
        this.link = link;
    }

    /**
     * The journal stage released the room (journaled, nothing more will be sequenced here): seal its
     * last batch, encode its state for the new owner, tell every viewer MOVED, and forget it.
     */
    private void release(RingEvent e) {
        if (e.roomId == 0 || link == null) {
            return;
        }
        String to = (String) e.payload;
        long lagMs = (System.nanoTime() - e.receivedNanos) / 1_000_000;
        if (lagMs >= 1_000 && nowMs - lastUnknownLogMs >= 1000) {
            lastUnknownLogMs = nowMs;
            org.slf4j.LoggerFactory.getLogger(FanoutHandler.class).warn(
                    "room {}: its release reached the fan-out stage {} ms after the cluster thread sent it",
                    Long.toUnsignedString(e.roomId), lagMs);
        }
        Room room = rooms.get(e.roomId);
        RoomHistory history;
        Leaderboard leaderboard;
        if (room != null) {
            seal(room);
            history = room.history();
            leaderboard = room.leaderboard();
        } else {
            history = new RoomHistory(1, 1024);
            history.resetAfter(e.sequence);
            leaderboard = new Leaderboard(1);
        }
        // The whole history goes, older epochs' bullets too: the ancestors say which epoch each is in.
        EpochChain ancestors = room != null ? room.ancestors() : EpochChain.NONE;
        byte[] doc = HandoffDocument.encode(e.roomId, e.epoch, e.sequence, e.timestamp, nowMs, self, to, ancestors,
                history, leaderboard);
        if (room != null) {
            dropRoom(room, e.redirectAddress);
        }
        link.handedOver(e.roomId, to, doc);
    }

    /** Sends MOVED (to {@code address}) to every viewer of {@code room} and forgets the room. */
    private void dropRoom(Room room, String address) {
        if (room.viewerCount() > 0 && address != null) {
            ByteBuf buf = egress.allocate(REDIRECT_MAX);
            Egress.wrapForEncode(view, buf);
            Egress.seal(buf, FrameEncoder.redirect(view, 0, room.id(), RedirectDecoder.KIND_MOVED, room.epoch(), address));
            for (int loop = 0; loop < room.loops(); loop++) {
                Connection[] viewers = room.viewers(loop);
                for (Connection c : viewers) {
                    c.rooms().remove(room.id());
                }
                if (viewers.length > 0) {
                    egress.broadcast(loop, viewers, buf.retain());
                    metrics.movedSent += viewers.length;
                }
            }
            buf.release();
        }
        rooms.remove(room.id());
        room.dirty = false;
        dirty.remove(room);
    }

    /** The journal stage adopted a handed-over room: rebuild its history and leaderboard here. */
    private void install(RingEvent e) {
        if (e.roomId == 0) {
            return;
        }
        HandoffDocument doc = (HandoffDocument) e.payload;
        EpochChain lineage = doc.lineage();
        // Entries older than the oldest epoch kept (the lineage is bounded) are not taken.
        long first = Math.max(doc.firstSequence(), lineage.unknownThrough() + 1);
        Room room = newRoom(doc.room(), e.epoch, first - 1);
        RoomHistory history = room.history();
        for (int i = (int) (first - doc.firstSequence()); i < doc.historyCount(); i++) {
            history.append(doc.firstSequence() + i, doc.entries(), doc.entryOffset(i), doc.entryLength(i));
        }
        if (history.lastSequence() != doc.lastSequence()) {
            history.resetAfter(doc.lastSequence());
        }
        room.sealedSequence(doc.lastSequence());
        room.adopted(lineage);
        for (int i = 0; i < doc.leaderboardSize(); i++) {
            room.leaderboard().add(doc.leaderboardUser(i), doc.leaderboardScore(i));
        }
        room.rankingChanged = true;
    }

    /** A map change; if this node is gone from it, every room goes (MOVED to its owner). */
    private void onOwnership(RingEvent e) {
        if (!(e.payload instanceof Ownership o) || !o.dropHeld()) {
            return;
        }
        for (Room room : new ArrayList<>(rooms.values())) {
            dropRoom(room, o.ownerAddress(room.id()));
        }
    }

    /** The room, created (with {@code epoch}) if {@code create} and the journal stage says it exists. */
    private Room room(long roomId, long epoch, boolean create) {
        Room room = rooms.get(roomId);
        if (room == null && create && epoch != 0) {
            room = newRoom(roomId, epoch, 0);
        }
        return room;
    }

    /** Creates a room (also used by recovery); history starts after {@code lastSequence}. */
    public Room newRoom(long roomId, long epoch, long lastSequence) {
        RoomHistory history = new RoomHistory(Math.max(1, settings.historySize()), settings.historyBytes());
        history.resetAfter(lastSequence);
        Room room = new Room(roomId, epoch, history, new Leaderboard(settings.maxLeaderboardUsers()),
                egress.loopCount());
        room.sealedSequence(lastSequence);
        if (rooms.put(roomId, room) == null) {
            rankingOrder.addLong(roomId);
        }
        return room;
    }

    /**
     * Rooms by id (fan-out thread, or recovery before the ring starts). Read only: rooms are created
     * (or replaced, same id) through {@link #newRoom}, and removed only when they leave the node
     * (cluster) or by recovery replaying such a departure.
     */
    public Long2ObjectHashMap<Room> rooms() {
        return rooms;
    }

    private void append(Room room, RingEvent e) {
        RoomHistory history = room.history();
        int length = BatchLayout.ENTRY_FIXED_LENGTH + e.nameLength + e.contentLength + e.colorLength;
        int at = history.reserve(length);
        UnsafeBuffer log = history.buffer();
        log.putLong(at, e.timestamp, Protocol.ORDER);
        log.putLong(at + 8, e.userId, Protocol.ORDER);
        int p = putField(log, at + 16, e, e.nameOffset, e.nameLength);
        p = putField(log, p, e, e.contentOffset, e.contentLength);
        putField(log, p, e, e.colorOffset, e.colorLength);
        history.commit(e.sequence, at, length);
        onAppended(room, e.userId, e.contentLength, length);
    }

    /** Bookkeeping after a bullet entered a room's history (also used by recovery). */
    public void onAppended(Room room, long userId, int contentLength, int entryLength) {
        room.leaderboard().add(userId, settings.bulletWeight() + settings.byteWeight() * contentLength);
        room.rankingChanged = true;
        if (room.pendingCount() == 1) {
            room.pendingSinceMs = nowMs;
            room.pendingBytes = 0;
        }
        room.pendingBytes += entryLength;
        if (!room.dirty) {
            room.dirty = true;
            dirty.add(room);
        }
        if (room.pendingBytes >= settings.maxBatchBytes() || room.pendingCount() >= Protocol.MAX_BATCH_COUNT) {
            seal(room);
        }
    }

    private static int putField(UnsafeBuffer log, int p, RingEvent e, int offset, int length) {
        log.putShort(p, (short) length, Protocol.ORDER);
        log.putBytes(p + 2, e.frame, offset, length);
        return p + 2 + length;
    }

    // ---- joins ---------------------------------------------------------------------------------

    private void onJoin(RingEvent e) {
        Room room = rooms.get(e.roomId);
        Connection c = e.connection;
        if (room == null) {
            if (link != null && e.epoch != 0 && nowMs - lastUnknownLogMs >= 1000) {
                // The journal stage holds the room and this stage does not: a handover out of step (a bug).
                lastUnknownLogMs = nowMs;
                org.slf4j.LoggerFactory.getLogger(FanoutHandler.class).warn(
                        "room {}: JOIN for a room the journal stage holds (epoch {}) and the fan-out stage does not",
                        Long.toUnsignedString(e.roomId), e.epoch);
            }
            e.reject(ErrorCode.ROOM_NOT_FOUND.code(), 0);
            error(e);
            return;
        }
        RoomHistory history = room.history();
        long sealed = room.sealedSequence();
        int status;
        long from;
        if (!e.resume) {
            status = JoinedDecoder.STATUS_LIVE;
            from = Math.max(history.firstSequence(), sealed + 1 - e.joinHistory);
        } else if (e.joinEpoch == room.epoch() && e.joinLastSequence <= room.lastSequence()
                && (e.joinLastSequence + 1 > sealed || history.contains(e.joinLastSequence + 1))) {
            status = JoinedDecoder.STATUS_RECOVERED;
            from = e.joinLastSequence + 1;
        } else if (exactAncestor(room, e.joinEpoch, e.joinLastSequence)
                && (e.joinLastSequence + 1 > sealed || history.contains(e.joinLastSequence + 1))) {
            // A room adopted from another node: the viewer's epoch is an earlier owner's, and this
            // node holds everything after its last seq (the sequence continues into our epoch).
            status = JoinedDecoder.STATUS_RECOVERED;
            from = e.joinLastSequence + 1;
        } else if (e.joinEpoch == room.epoch() && e.joinLastSequence < history.firstSequence() - 1
                && replayFromJournal(room, e.joinLastSequence + 1, history.firstSequence() - 1)) {
            // The gap is older than memory: the journal had all of it (queued in replay.frames).
            status = JoinedDecoder.STATUS_RECOVERED;
            from = history.firstSequence();
        } else {
            status = JoinedDecoder.STATUS_NOT_RECOVERED;
            from = Math.max(history.firstSequence(), sealed + 1 - e.joinHistory);
            int ancestor = room.ancestors().indexOf(e.joinEpoch);
            if (ancestor >= 0) {
                // A resume from an epoch before this node took the room over (an owner died since):
                // that epoch cannot be proven complete, but everything after its end can be sent.
                from = Math.max(history.firstSequence(), Math.min(from, room.ancestors().end(ancestor) + 1));
            }
        }
        ByteBuf buf = egress.allocate(JoinedDecoder.LENGTH);
        Egress.wrapForEncode(view, buf);
        long next = status == JoinedDecoder.STATUS_RECOVERED ? e.joinLastSequence + 1 : from;
        int n = FrameEncoder.joined(view, 0, room.id(), room.epoch(), status, room.lastSequence(), Math.max(1, next));
        egress.unicast(c, Egress.seal(buf, n));
        for (int i = 0; i < replay.frames.size(); i++) {
            egress.unicast(c, replay.frames.get(i));
        }
        replay.frames.clear();
        // Replay what is already sealed; pending bullets follow with the room's next batch.
        long s = from;
        while (s <= sealed) {
            // An adopted room's oldest entries are in the previous owner's epoch: a batch never spans both.
            long epoch = room.epochOf(s);
            long end = room.segmentEnd(s, sealed);
            encoder.reset(room.id(), epoch, s);
            while (s <= end && encoder.addEntry(history.buffer(), history.offset(s), history.length(s))) {
                s++;
            }
            ByteBuf batch = egress.allocate(encoder.maxEncodedLength());
            Egress.wrapForEncode(view, batch);
            egress.unicast(c, Egress.seal(batch, encoder.encode(view, 0)));
        }
        room.addViewer(c);
        c.rooms().add(room.id());
    }

    /**
     * True if a viewer that saw {@code epoch} up to {@code last} can be brought up exactly: the epoch
     * is one the room was in before this node's, and its end and every later one's are known.
     */
    private static boolean exactAncestor(Room room, long epoch, long last) {
        EpochChain ancestors = room.ancestors();
        int i = ancestors.indexOf(epoch);
        return i >= 0 && ancestors.exactFrom(i) && last <= ancestors.end(i) && last >= ancestors.unknownThrough();
    }

    /**
     * Reads {@code [from, to]} of {@code room} from the journal into BATCH frames (in
     * {@link JournalReplay#frames}). Runs on this stage's thread and scans at most
     * {@code maxReplayScan} records, so a resume can never stall the ring for long: past that, or if
     * the journal no longer holds {@code from}, it gives up and the viewer is told NOT_RECOVERED.
     *
     * @return true if every bullet in the range was found
     */
    private boolean replayFromJournal(Room room, long from, long to) {
        if (journal == null || from > to) {
            return false;
        }
        // Older than the room's oldest checkpoint (the index keeps a bounded number): seekIndex gives
        // the journal start, and the scan bound below still caps the cost.
        if (reader == null) {
            reader = journal.reader();
        }
        long start = journalIndex.seekIndex(room.id(), room.epoch(), from);
        if (start == RoomJournalIndex.START) {
            reader.toStart();
        } else if (!reader.moveTo(start)) {
            return false;
        }
        replay.begin(room, from, to);
        int scanned = 0;
        while (!replay.done && scanned < settings.maxReplayScan()) {
            int n = reader.read(replay, Math.min(4096, settings.maxReplayScan() - scanned));
            if (n == 0) {
                break;
            }
            scanned += n;
        }
        replay.finishBatch();
        if (!replay.done) {
            for (int i = 0; i < replay.frames.size(); i++) {
                replay.frames.get(i).release();
            }
            replay.frames.clear();
            return false;
        }
        return true;
    }

    /** Collects a room's journal records into BATCH frames for one replay. Fan-out thread. */
    private final class JournalReplay implements RecordHandler {
        final List<ByteBuf> frames = new ArrayList<>();
        private Room room;
        private long next;
        private long to;
        boolean done;

        void begin(Room room, long from, long to) {
            this.room = room;
            this.next = from;
            this.to = to;
            this.done = false;
            encoder.reset(room.id(), room.epoch(), from);
        }

        @Override
        public void onRecord(JournalRecord r, long documentIndex) {
            if (done || r.kind() != JournalLayout.KIND_BULLET || r.roomId() != room.id() || r.epoch() != room.epoch()
                    || r.sequence() != next) {
                return;
            }
            if (!encoder.addEntry(r.buffer(), r.entryOffset(), r.entryLength())) {
                finishBatch();
                encoder.reset(room.id(), room.epoch(), next);
                encoder.addEntry(r.buffer(), r.entryOffset(), r.entryLength());
            }
            next++;
            if (next > to) {
                done = true;
            }
        }

        void finishBatch() {
            if (encoder.count() > 0) {
                ByteBuf batch = egress.allocate(encoder.maxEncodedLength());
                Egress.wrapForEncode(view, batch);
                frames.add(Egress.seal(batch, encoder.encode(view, 0)));
                encoder.reset(room.id(), room.epoch(), next);
            }
        }
    }

    /** The fan-out stage's journal checkpoints (rebuilt by recovery before the ring starts). */
    public RoomJournalIndex journalIndex() {
        return journalIndex;
    }

    private void onDisconnect(Connection c) {
        LongHashSet joined = c.rooms();
        LongHashSet.LongIterator it = joined.iterator();
        while (it.hasNext()) {
            Room room = rooms.get(it.nextValue());
            if (room != null) {
                room.removeViewer(c);
            }
        }
        joined.clear();
    }

    // ---- batching ------------------------------------------------------------------------------

    private void onTick() {
        long interval = settings.batchIntervalMs();
        for (int i = 0; i < dirty.size(); ) {
            Room room = dirty.get(i);
            if (room.pendingCount() == 0 || nowMs - room.pendingSinceMs() >= interval) {
                seal(room);
                int last = dirty.size() - 1;
                dirty.set(i, dirty.get(last));
                dirty.remove(last);
                room.dirty = false;
            } else {
                i++;
            }
        }
        sweepRankings();
        if (nowMs - nextSnapshotMs >= 0) {
            nextSnapshotMs = nowMs + 1000;
            publishSnapshot();
        }
    }

    /** Builds the admin view of every room (allocates; once a second, off the per-bullet path). */
    private void publishSnapshot() {
        List<RoomSummary> list = new ArrayList<>(rooms.size());
        for (Room room : rooms.values()) {
            int n = room.leaderboard().top(Math.min(10, settings.rankingTopN()), rankUsers, rankScores);
            list.add(new RoomSummary(room.id(), room.epoch(), room.lastSequence(), room.history().firstSequence(),
                    room.viewerCount(), room.history().size(), room.history().capacityBytes(),
                    room.leaderboard().size(), java.util.Arrays.copyOf(rankUsers, n),
                    java.util.Arrays.copyOf(rankScores, n)));
        }
        list.sort((a, b) -> Long.compareUnsigned(a.id(), b.id()));
        snapshot = List.copyOf(list);
    }

    /** The latest room summaries (any thread). */
    public List<RoomSummary> snapshot() {
        return snapshot;
    }

    private void sealAll() {
        for (int i = 0, n = dirty.size(); i < n; i++) {
            Room room = dirty.get(i);
            seal(room);
            room.dirty = false;
        }
        dirty.clear();
    }

    /** Sends the room's pending bullets to its viewers as one batch (or more if over the limits). */
    private void seal(Room room) {
        RoomHistory history = room.history();
        long last = history.lastSequence();
        long s = room.sealedSequence() + 1;
        if (s > last) {
            return;
        }
        metrics.batchDelay.recordValue(StageMetrics.latency((nowMs - room.pendingSinceMs()) * 1_000_000L));
        int viewers = room.viewerCount();
        while (s <= last) {
            encoder.reset(room.id(), room.epoch(), s);
            while (s <= last && encoder.addEntry(history.buffer(), history.offset(s), history.length(s))) {
                s++;
            }
            metrics.batches++;
            metrics.batchedBullets += encoder.count();
            if (viewers > 0) {
                broadcast(room, encoder.maxEncodedLength());
                metrics.deliveries += (long) encoder.count() * viewers;
            }
        }
        room.sealedSequence(last);
        room.pendingBytes = 0;
    }

    private void broadcast(Room room, int maxLength) {
        ByteBuf buf = egress.allocate(maxLength);
        Egress.wrapForEncode(view, buf);
        Egress.seal(buf, encoder.encode(view, 0));
        for (int loop = 0; loop < room.loops(); loop++) {
            Connection[] viewers = room.viewers(loop);
            if (viewers.length > 0) {
                egress.broadcast(loop, viewers, buf.retain());
            }
        }
        buf.release();
    }

    /** Visits the rooms owed since the last tick (see {@link #rankingOrder}), pushing changed rankings. */
    private void sweepRankings() {
        int n = rankingOrder.size();
        for (int v = rankingSweep.due(nowMs, n); v > 0; v--) {
            Room room = rooms.get(rankingOrder.getLong(rankingSweep.next(n)));
            if (room != null) {
                pushRanking(room);
            }
        }
    }

    private void pushRanking(Room room) {
        if (!room.rankingChanged || room.viewerCount() == 0) {
            return;
        }
        room.rankingChanged = false;
        int n = room.leaderboard().top(settings.rankingTopN(), rankUsers, rankScores);
        ByteBuf buf = egress.allocate(21 + 16 * n);
        Egress.wrapForEncode(view, buf);
        Egress.seal(buf, FrameEncoder.ranking(view, 0, room.id(), nowMs, n, rankUsers, rankScores));
        for (int loop = 0; loop < room.loops(); loop++) {
            Connection[] viewers = room.viewers(loop);
            if (viewers.length > 0) {
                egress.broadcast(loop, viewers, buf.retain());
            }
        }
        buf.release();
    }

    /** Largest ERROR frame, bytes. */
    private static final class ErrorDecoderLength {
        static final int MAX = 29 + Protocol.MAX_REASON_LENGTH;
    }
}
