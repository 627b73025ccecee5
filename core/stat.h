/* Engine counters, named as Linux's nstat / netstat -s names them
 * (IpInReceives, TcpRetransSegs, TcpExtListenOverflows, ...).  Counters
 * Linux has no name for carry the prefix TsExt.  `tapsock stat` prints the
 * table in this order.
 *
 * To add a counter: add one X(Name) line to its group.  The struct field
 * is the name itself: eng->stats.IpInHdrErrors++. */
#ifndef TS_STAT_H
#define TS_STAT_H

#include <stdint.h>

#define TS_STATS_LINK(X)                                                      \
	X(TsExtLinkInFrames)       /* frames read from the link */            \
	X(TsExtLinkOutFrames)      /* frames handed to the link */            \
	X(TsExtLinkOutErrors)      /* the link refused a frame */             \
	X(TsExtEthInShort)         /* frame shorter than an Ethernet header */ \
	X(TsExtEthInNotForUs)      /* destination MAC neither ours nor bcast */ \
	X(TsExtEthInUnknownType)   /* EtherType neither IPv4 nor ARP */       \
	X(TsExtLoopbackFrames)     /* packets through the in-engine loopback */

#define TS_STATS_ARP(X)                                                       \
	X(TsExtArpInRequests)                                                 \
	X(TsExtArpInReplies)                                                  \
	X(TsExtArpInMalformed)     /* bad lengths, hw/proto type, opcode */   \
	X(TsExtArpInNotForUs)      /* valid, but asks for another address */  \
	X(TsExtArpOutRequests)                                                \
	X(TsExtArpOutReplies)                                                 \
	X(TsExtArpOutGratuitous)                                              \
	X(TsExtArpResolveFailed)   /* retries exhausted; queue dropped */     \
	X(TsExtArpQueueDrops)      /* pending-resolution queue full */

#define TS_STATS_IP(X)                                                        \
	X(IpInReceives)                                                       \
	X(IpInHdrErrors)           /* version, IHL, length, TTL */            \
	X(IpExtInCsumErrors)                                                  \
	X(IpInAddrErrors)          /* not addressed to the engine */          \
	X(IpInUnknownProtos)                                                  \
	X(IpInDiscards)                                                       \
	X(IpInDelivers)                                                       \
	X(IpOutRequests)                                                      \
	X(IpOutDiscards)                                                      \
	X(IpOutNoRoutes)                                                      \
	X(IpReasmTimeout)                                                     \
	X(IpReasmReqds)                                                       \
	X(IpReasmOKs)                                                         \
	X(IpReasmFails)                                                       \
	X(IpReasmOverlaps)                                                    \
	X(IpFragOKs)                                                          \
	X(IpFragFails)                                                        \
	X(IpFragCreates)                                                      \
	X(TsExtIpInTruncated)      /* total length beyond the frame */       \
	X(TsExtIpInBadVersion)                                                \
	X(TsExtIpInBadIhl)                                                    \
	X(TsExtIpInTtlZero)        /* TTL 0, delivered anyway as Linux does */ \
	X(TsExtIpInMartians)       /* bad source, or 127/8 off the loopback */ \
	X(TsExtReasmOversize)      /* reassembled datagram over 65535 bytes */ \
	X(TsExtReasmMemEvicts)     /* datagrams dropped for ipfrag_high_thresh */

#define TS_STATS_ICMP(X)                                                      \
	X(IcmpInMsgs)                                                         \
	X(IcmpInErrors)                                                       \
	X(IcmpInCsumErrors)                                                   \
	X(IcmpInDestUnreachs)                                                 \
	X(IcmpInTimeExcds)                                                    \
	X(IcmpInParmProbs)                                                    \
	X(IcmpInEchos)                                                        \
	X(IcmpInEchoReps)                                                     \
	X(IcmpInSrcQuenchs)        /* ignored, RFC 6633 */                    \
	X(IcmpInRedirects)         /* ignored: one gateway */                 \
	X(IcmpOutMsgs)                                                        \
	X(IcmpOutErrors)                                                      \
	X(IcmpOutRateLimitGlobal)                                             \
	X(IcmpOutRateLimitHost)                                               \
	X(IcmpOutDestUnreachs)                                                \
	X(IcmpOutEchoReps)                                                    \
	X(IcmpOutTimeExcds)                                                   \
	X(IcmpOutParmProbs)                                                   \
	X(TsExtIcmpOutSuppressed)  /* error not sent: RFC 1122 3.2.2 rules */ \
	X(TsExtIcmpInShort)                                                   \
	X(TsExtIcmpInUnknownType)

#define TS_STATS_UDP(X)                                                       \
	X(UdpInDatagrams)                                                     \
	X(UdpNoPorts)                                                         \
	X(UdpInErrors)                                                        \
	X(UdpOutDatagrams)                                                    \
	X(UdpRcvbufErrors)                                                    \
	X(UdpSndbufErrors)                                                    \
	X(UdpInCsumErrors)                                                    \
	X(TsExtUdpChanBadMsgs)     /* malformed message from a program */    \
	X(TsExtUdpChanDrops)       /* program gone before its datagram */    \
	X(TsExtUdpSendFailed)      /* refused by the engine after the shim */

#define TS_STATS_TCP(X)                                                       \
	X(TcpActiveOpens)                                                     \
	X(TcpPassiveOpens)                                                    \
	X(TcpAttemptFails)                                                    \
	X(TcpEstabResets)                                                     \
	X(TcpInSegs)                                                          \
	X(TcpOutSegs)                                                         \
	X(TcpRetransSegs)                                                     \
	X(TcpInErrs)                                                          \
	X(TcpOutRsts)                                                         \
	X(TcpInCsumErrors)

#define TS_STATS_TCPEXT(X)                                                    \
	X(TcpExtTCPTimeouts)                                                  \
	X(TcpExtTCPFastRetrans)                                               \
	X(TcpExtTCPChallengeACK)                                              \
	X(TcpExtTCPSYNChallenge)                                              \
	X(TcpExtListenOverflows)                                              \
	X(TcpExtListenDrops)                                                  \
	X(TcpExtSyncookiesSent)                                               \
	X(TcpExtSyncookiesRecv)                                               \
	X(TcpExtSyncookiesFailed)                                             \
	X(TcpExtTW)                                                           \
	X(TcpExtPAWSEstab)                                                    \
	X(TcpExtTCPAbortOnData)                                               \
	X(TcpExtTCPAbortOnClose)                                              \
	X(TcpExtTCPAbortOnTimeout)                                            \
	X(TcpExtTCPAbortOnLinger)                                             \
	X(TcpExtTCPAbortOnMemory)  /* too many orphans (tcp_max_orphans) */   \
	X(TcpExtEmbryonicRsts)     /* RST for a SYN-RECV connection */        \
	X(TcpExtDelayedACKs)       /* the delayed-ACK timer sent an ACK */    \
	X(TcpExtTCPOFOQueue)       /* segments kept out of order */           \
	X(TcpExtTCPOFODrop)        /* out-of-order data dropped (no room) */  \
	X(TcpExtTCPZeroWindowDrop) /* data beyond a zero window */            \
	X(TcpExtTCPACKSkippedSeq)  /* dup ACK for an old segment rate limited */ \
	X(TcpExtTCPACKSkippedPAWS)                                            \
	X(TcpExtTCPACKSkippedTimeWait)                                        \
	X(TcpExtTCPACKSkippedChallenge)                                       \
	X(TcpExtTCPSackRecovery)                                              \
	X(TcpExtTCPRenoRecovery)                                              \
	X(TcpExtTCPSACKDiscard)                                               \
	X(TcpExtTCPDSACKRecv)                                                 \
	X(TcpExtTCPDSACKOldSent)   /* D-SACK sent for data below rcv_nxt */   \
	X(TcpExtTCPDSACKOfoSent)   /* D-SACK sent for data held out of order */ \
	X(TcpExtTCPDSACKUndo)      /* cwnd reduction undone: D-SACKs */       \
	X(TcpExtTCPFullUndo)       /* recovery undone: timestamps (Eifel) */  \
	X(TcpExtTCPLossUndo)       /* RTO undone: D-SACKs or timestamps */    \
	X(TcpExtTCPWinProbe)       /* zero-window probes sent */              \
	X(TcpExtTCPKeepAlive)      /* keepalive probes sent */                \
	X(TcpExtTCPLossProbes)     /* tail loss probes sent (RFC 8985 7) */   \
	X(TcpExtTCPLossProbeRecovery) /* a probe repaired a tail loss */      \
	X(TcpExtOutOfWindowIcmps)                                             \
	X(TsExtTcpInNoSocket)      /* no connection or listener: RST sent */ \
	X(TsExtTcpInDropped)       /* unacceptable, answered or ignored */    \
	X(TsExtTcpSynSentBadAck)   /* SYN-SENT: ACK not for our SYN */

/* Fault injection (fault.c): what the rules did. */
#define TS_STATS_FAULT(X)                                                     \
	X(TsExtFaultDrops)                                                    \
	X(TsExtFaultDelays)                                                   \
	X(TsExtFaultDups)                                                     \
	X(TsExtFaultReorders)                                                 \
	X(TsExtFaultCorrupts)                                                 \
	X(TsExtFaultHeldOverflow)  /* delay/reorder queue full: frame lost */ \
	X(TsExtCaptureDrops)       /* frames a slow `tapsock capture` missed */ \
	X(TsExtTraceLost)          /* events a slow `tapsock trace` missed */

/* TCP data channels in tapsockd (core/daemon/chan_tcp.c): bytes no
 * program could take, and accepted connections no program got. */
#define TS_STATS_TCPCHAN(X)                                                   \
	X(TsExtTcpChanRxDiscard)   /* received after the program shut down \
				    * reading or went away: bytes */     \
	X(TsExtTcpChanTxDiscard)   /* written after the connection failed */ \
	X(TsExtTcpChanAcceptFail)  /* accepted, but no channel or program */

#define TS_STATS(X)                                                           \
	TS_STATS_LINK(X) TS_STATS_ARP(X) TS_STATS_IP(X) TS_STATS_ICMP(X)      \
	TS_STATS_UDP(X) TS_STATS_TCP(X) TS_STATS_TCPEXT(X) TS_STATS_FAULT(X)  \
	TS_STATS_TCPCHAN(X)

struct ts_stats {
#define TS_STAT_FIELD(name) uint64_t name;
	TS_STATS(TS_STAT_FIELD)
#undef TS_STAT_FIELD
};

enum {
#define TS_STAT_ENUM(name) TS_STAT_##name,
	TS_STATS(TS_STAT_ENUM)
#undef TS_STAT_ENUM
	TS_STAT_COUNT
};

/* Name of counter i (0 <= i < TS_STAT_COUNT), or NULL. */
const char *ts_stat_name(int i);
/* Value of counter i. */
uint64_t ts_stat_get(const struct ts_stats *st, int i);
/* Index of the counter called name, or -1. */
int ts_stat_find(const char *name);

#endif
