//! Sparkplug B output (`[mqtt] format = "sparkplug"`, Eclipse Sparkplug 3.0): the bridge is an edge
//! node and each source a device (`docs/sparkplug.md`). The outbox keeps the same records in both
//! formats (a topic and a JSON sample), so a sample appended in one format is published in the
//! other after a restart; the format is applied when a record is handed to the client.
//!
//! The Sparkplug state (bdSeq, seq, aliases, births) lives in [`fieldbridge_sparkplug::EdgeNode`],
//! shared by the link (which needs a new NDEATH will at every CONNECT, 5.4) and the delivery
//! (births, data, deaths). This module converts between the bridge's types and the crate's.

mod convert;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use fieldbridge_sparkplug::host::PrimaryHost;
use fieldbridge_sparkplug::{EdgeNode, Message};

pub(crate) use convert::{command_value, datatype_of, point_info, sample_in};

/// What Sparkplug output needs besides the MQTT link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparkplugSettings {
    /// The group id (`mqtt.sparkplug_group`, default the site).
    pub group: String,
    /// The edge node id (the bridge id).
    pub edge_node: String,
    /// The primary host application whose STATE gates publishing (`mqtt.primary_host`).
    pub primary_host: Option<String>,
    /// Where the last bdSeq is kept across restarts (`data_dir`).
    pub data_dir: PathBuf,
}

/// The file, in `data_dir`, that holds the bdSeq of the last connection: a new process goes on
/// from it, so a host never pairs a late NDEATH of the old process with the new NBIRTH (5.4).
const BD_SEQ_FILE: &str = "sparkplug-bdseq";

/// The edge node, shared by the link and the delivery.
#[derive(Debug, Clone)]
pub(crate) struct SharedNode {
    node: Arc<Mutex<EdgeNode>>,
    bd_seq_file: PathBuf,
}

impl SharedNode {
    /// The edge node of `settings`, going on from the persisted bdSeq.
    pub(crate) fn open(settings: &SparkplugSettings) -> Result<Self, fieldbridge_sparkplug::Error> {
        let bd_seq_file = settings.data_dir.join(BD_SEQ_FILE);
        let last = std::fs::read_to_string(&bd_seq_file)
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok());
        let node = EdgeNode::new(&settings.group, &settings.edge_node, last)?;
        Ok(SharedNode {
            node: Arc::new(Mutex::new(node)),
            bd_seq_file,
        })
    }

    /// The node, for one short step (never held across an await).
    pub(crate) fn lock(&self) -> MutexGuard<'_, EdgeNode> {
        self.node
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new connection's NDEATH, to register as its will (5.4); the new bdSeq is written first
    /// (a failed write is logged: the bdSeq then restarts from the old value after a restart).
    pub(crate) fn will(&self) -> Message {
        let (message, bd_seq) = {
            let mut node = self.lock();
            let message = node.next_connection();
            (message, node.bd_seq())
        };
        let tmp = self.bd_seq_file.with_extension("tmp");
        let written = std::fs::write(&tmp, format!("{bd_seq}\n"))
            .and_then(|()| std::fs::rename(&tmp, &self.bd_seq_file));
        if let Err(error) = written {
            tracing::warn!(file = %self.bd_seq_file.display(), %error, bd_seq, "cannot persist the Sparkplug bdSeq");
        }
        message
    }
}

/// A message built by the edge node and not handed to the client yet. Built messages carry their
/// `seq`, so they go out strictly in the order they were built.
#[derive(Debug)]
pub(crate) enum Out {
    /// A birth, a death or node data: not from the outbox.
    Control(Message),
    /// The DDATA of an outbox record, with the record itself: built again after a rebirth, and
    /// published in its JSON form when it cannot be a metric (`message` is `None`).
    Sample {
        seq: u64,
        appended_ms: u64,
        topic: String,
        json: Vec<u8>,
        historical: bool,
        message: Option<Message>,
    },
}

/// The delivery's Sparkplug state.
#[derive(Debug)]
pub(crate) struct Sparkplug {
    pub(crate) node: SharedNode,
    /// The primary host's STATE topic and what it last said.
    pub(crate) host: Option<(String, PrimaryHost)>,
    /// Built, not yet handed to the client.
    pub(crate) queue: VecDeque<Out>,
    /// Where DCMD writes go, as commands of the JSON form (the command router's input).
    pub(crate) router: Option<tokio::sync::mpsc::UnboundedSender<super::IncomingCommand>>,
    /// DCMD writes handed to the command router so far.
    pub(crate) writes: u64,
    /// The node metrics of the last NBIRTH or NDATA.
    pub(crate) last_node_metrics: Option<Vec<fieldbridge_sparkplug::NodeMetric>>,
}

impl Sparkplug {
    /// Whether samples may be published: always without a primary host, else while it is online.
    pub(crate) fn host_online(&self) -> bool {
        self.host.as_ref().is_none_or(|(_, h)| h.is_online())
    }
}

/// The filters subscribed after every CONNACK: this node's NCMD and its devices' DCMD, and the
/// primary host's STATE (Sparkplug 3.0 §4.2, §5.5).
pub(crate) fn filters(settings: &SparkplugSettings) -> Vec<String> {
    let (group, edge) = (&settings.group, &settings.edge_node);
    let mut filters = vec![
        format!("spBv1.0/{group}/NCMD/{edge}"),
        format!("spBv1.0/{group}/DCMD/{edge}/+"),
    ];
    if let Some(host) = &settings.primary_host {
        filters.push(format!("spBv1.0/STATE/{host}"));
    }
    filters
}
