//! When the client's outbound frames leave (docs/protocol.md §10.4; the server's side is §4.6),
//! seen from a recorder of the page's WebSocket (`e2e/src/recorder.js`): the bindings created
//! while one inbound frame renders leave in one frame, in that frame's task, with no timer
//! between; a user action leaves at once, marked `userEvent`.

use lunette_e2e::{Browser, Frame, Server, demo};
use serde_json::{Value, json};

const NAMES: &str = ".rows .row .name";
const ALL: [&str; 3] = ["Ada Lovelace", "Alan Turing", "Grace Hopper"];

fn kinds(frame: &Frame) -> Vec<String> {
    frame
        .messages()
        .iter()
        .map(|m| m["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn describe(frames: &[Frame]) -> String {
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let side = if f.outbound { "out" } else { "in " };
            let during = f.during.map(|d| format!(" during {d}")).unwrap_or_default();
            format!("{i:3} {side} {:8.1} ms{during} {:?}\n", f.at, kinds(f))
        })
        .collect()
}

#[tokio::test]
async fn creates_made_while_one_frame_renders_leave_together_right_after_it() {
    let browser = Browser::start().await;
    browser.record_frames(None);
    let server = Server::start(Some(&demo("contacts")), &[]);
    browser.open_app(&server).await;
    browser.wait_for_texts(NAMES, &ALL).await;
    let frames = browser.recorded_frames().await;
    let log = describe(&frames);
    let outbound: Vec<(usize, &Frame)> = frames
        .iter()
        .enumerate()
        .filter(|(_, f)| f.outbound)
        .collect();

    // The watch of variable 1 leaves as the socket opens, before anything arrives.
    let (first, watch) = outbound[0];
    assert_eq!(first, 0, "the client speaks first\n{log}");
    assert_eq!(
        watch.json(),
        json!({"userEvent": false, "messages": [{"type": "watch", "data": {"varId": 1}}]}),
        "{log}"
    );

    // Every later frame leaves in the task of the inbound frame whose rendering queued it, and
    // each inbound frame gives at most one.
    let mut answered = Vec::new();
    for &(index, frame) in &outbound[1..] {
        let Some(during) = frame.during else {
            panic!("frame {index} left after the task of the frame it answers ended\n{log}");
        };
        assert!(!frames[during].outbound && during < index, "{log}");
        assert!(
            !answered.contains(&during),
            "inbound frame {during} was answered by more than one frame\n{log}"
        );
        answered.push(during);
        assert_eq!(
            frame.json()["userEvent"],
            json!(false),
            "frame {index}\n{log}"
        );
    }

    // The contacts page nests views: its bindings are created over several frames, some frames
    // carrying many creates.
    let creates: Vec<usize> = outbound
        .iter()
        .map(|(_, f)| kinds(f).iter().filter(|k| *k == "create").count())
        .filter(|&n| n > 0)
        .collect();
    assert!(
        creates.len() >= 2 && creates.iter().any(|&n| n >= 5),
        "the page renders in nested levels: creates per frame {creates:?}\n{log}"
    );
}

#[tokio::test]
async fn a_user_action_leaves_at_once_marked_as_a_user_event() {
    let browser = Browser::start().await;
    browser.record_frames(None);
    let server = Server::start(Some(&demo("contacts")), &[]);
    browser.open_app(&server).await;
    browser.wait_for_texts(NAMES, &ALL).await;
    let before = browser.recorded_frames().await.len();

    // A click on a contact's row (`ui-action="select()"`): the button's click handler sends.
    let sent = browser
        .execute(
            r#"const record = window.__lunetteRecord;
               const count = record.frames.length;
               document.querySelector(".rows li:nth-child(1) .row").click();
               return record.frames.slice(count).filter((f) => f.dir === "out").map((f) => f.text);"#,
            vec![],
        )
        .await;
    let sent: Vec<Value> = sent
        .as_array()
        .expect("a list of frames")
        .iter()
        .map(|text| serde_json::from_str(text.as_str().unwrap_or_default()).unwrap_or_default())
        .collect();
    assert_eq!(
        sent.len(),
        1,
        "the click sent one frame before returning: {sent:?}"
    );
    assert_eq!(sent[0]["userEvent"], json!(true), "{sent:?}");
    let messages = sent[0]["messages"].as_array().expect("a batch");
    let action = messages.last().expect("the action");
    assert_eq!(action["type"], json!("update"), "{sent:?}");
    assert_eq!(action["data"].get("value"), Some(&Value::Null), "{sent:?}");
    browser.wait_for_text(".detail h2", "Ada Lovelace").await;
    assert!(browser.recorded_frames().await.len() > before);
}
