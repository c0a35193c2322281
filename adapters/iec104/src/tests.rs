use super::*;

#[test]
fn the_source_future_can_be_spawned_on_a_multi_threaded_runtime() {
    fn is_send<T: Send + 'static>(_: &T) {}
    let (tx, _rx) = fieldbridge_core::event::channel(1);
    let config = Iec104Source {
        addresses: vec!["127.0.0.1:1".into()],
        link: Default::default(),
        master: fieldbridge_core::config::IecMaster {
            common_address: 1,
            originator_address: 0,
            interrogation: None,
            counter_interrogation: None,
            clock_sync: false,
            device_time: Default::default(),
            only_listed: false,
            command_timeout: None,
            points: vec![],
        },
    };
    is_send(&run("d".into(), config, tx, Arc::new(SourceStats::new())));
}
