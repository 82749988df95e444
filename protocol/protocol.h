#pragma once

// The wire contract between a Tally server and its clients (the operator console
// among them): paths, field names and limits both sides rely on. Header only, Qt Core
// only; docs/api.md describes the same in prose.
#include <QStringView>
#include <QtGlobal>

namespace Protocol {

// REST paths, after the server's API prefix (--api-prefix; the console uses the same
// setting to address a server).
inline constexpr QStringView DefaultApiPrefix = u"/api/v1";
inline constexpr QStringView PollsPath = u"/polls"; // + "/{id}", "/{id}/open", "/{id}/close"
inline constexpr QStringView ThemesPath = u"/themes";
inline constexpr QStringView VotePath = u"/vote/"; // + "{poll_id}"
inline constexpr QStringView BulkVotesPath = u"/votes";
inline constexpr QStringView ResultsPath = u"/results/"; // + "{poll_id}"
inline constexpr QStringView StatsPath = u"/stats";
inline constexpr QStringView RingPath = u"/ring";
inline constexpr QStringView WebSocketPath = u"/ws";

// Fields of votes (REST and WebSocket) and of WebSocket messages.
inline constexpr QStringView PollIdField = u"poll_id";
inline constexpr QStringView OptionIdField = u"option_id";
inline constexpr QStringView VoterIdField = u"voter_id";
inline constexpr QStringView VotesField = u"votes";
inline constexpr QStringView TypeField = u"type";
inline constexpr QStringView RefField = u"ref";
inline constexpr QStringView ChannelField = u"channel";

// Limits.
inline constexpr int MaxPollIdLength = 64;
inline constexpr int MaxVoterIdLength = 128;
inline constexpr int MaxBulkVotes = 1000; // votes in one POST {prefix}/votes
// WebSocket: the largest frame or message a client may send, and the polls one
// connection may watch at once.
inline constexpr qint64 MaxWebSocketIncomingBytes = 16 * 1024;
inline constexpr int MaxWebSocketPollSubscriptions = 100;

} // namespace Protocol
