use std::path::Path;
use std::time::Duration;

use lunette_headless::World;

fn demo(name: &str) -> lunette_core::Site {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../demo")
        .join(name);
    lunette_headless::site::read_site(&root).expect("the demo reads")
}

#[test]
fn adder_adds() {
    let mut world = World::new(demo("adder"), 1);
    let tab = world.open().unwrap();
    world
        .type_text(tab, "input:nth-of-type(1)", "2", true)
        .unwrap();
    world
        .type_text(tab, "input:nth-of-type(2)", "3", true)
        .unwrap();
    let snap = world.snapshot(tab);
    println!("{snap:#?}");
    world.wait(Duration::from_millis(10)).unwrap();
    assert_eq!(world.snapshot(tab).text, "+ = 5");
}

#[test]
fn contacts_render() {
    let mut world = World::new(demo("contacts"), 1);
    let tab = world.open().unwrap();
    let snap = world.snapshot(tab);
    println!("{snap:#?}");
    world
        .type_text(tab, "input[type=search]", "gr", true)
        .unwrap();
    println!("{:#?}", world.snapshot(tab));
    world.click(tab, ".rows button.row").unwrap();
    println!("{:#?}", world.snapshot(tab));
    println!("errors {:?}", world.app_errors);
}
