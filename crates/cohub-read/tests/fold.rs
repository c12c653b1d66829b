//! The pure fold refuses what it cannot read instead of skipping it.

mod common;

use cohub_read::{ReadError, ReadModel};

#[tokio::test(flavor = "multi_thread")]
async fn unknown_and_out_of_order_events_are_errors_that_leave_the_model_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::played(dir.path()).await;
    let log = common::log(&store).await;
    let mut model = ReadModel::new();
    model.apply_all(&log[..5]).unwrap();
    let before = model.clone();

    let mut unknown = log[5].clone();
    unknown.event_type = "SomethingNobodyDefined".into();
    assert!(matches!(
        model.apply(&unknown),
        Err(ReadError::Decode { position: 6, .. })
    ));
    let mut garbled = log[5].clone();
    garbled.payload = serde_json::json!({"nonsense": true});
    assert!(matches!(
        model.apply(&garbled),
        Err(ReadError::Decode { .. })
    ));
    assert!(matches!(
        model.apply(&log[7]),
        Err(ReadError::OutOfOrder {
            expected: 6,
            got: 8
        })
    ));
    assert!(matches!(
        model.apply(&log[2]),
        Err(ReadError::OutOfOrder { .. })
    ));
    assert_eq!(model, before);

    // An event about something never created does not fit.
    let mut orphan = log
        .iter()
        .find(|e| e.event_type == "ProblemEndorsed")
        .unwrap()
        .clone();
    orphan.position = 6;
    assert!(matches!(
        model.apply(&orphan),
        Err(ReadError::Inconsistent { .. })
    ));
    assert_eq!(model, before);

    model.apply_all(&log[5..]).unwrap();
    assert_eq!(model.position(), log.len() as u64);
    // Serialises and reads back equal (what checkpoints rely on).
    let json = serde_json::to_string(&model).unwrap();
    assert_eq!(serde_json::from_str::<ReadModel>(&json).unwrap(), model);
}
