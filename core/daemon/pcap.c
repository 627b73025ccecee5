/* placeholder, being written */
typedef int ts_placeholder_pcap;
