import numpy as np
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from core.tenancy import tenant_scope
from tests.browser.conftest import log_in, screenshot
from tests.test_camera_setup import first_frame
from venues.models import CountingLine, Zone
from venues.services import camera_snapshot_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_an_owner_draws_a_zone_and_a_line_and_moves_a_zones_point(browser_page, world_a):
    with tenant_scope(world_a.tenant):
        camera_snapshot_save(world_a.camera, first_frame())
    page = browser_page
    log_in(page, world_a.owner)
    page.goto(reverse("camera-setup", args=[world_a.camera.pk]))  # the dashboard's link: tests/test_camera_setup.py
    page.wait_for_function("document.getElementById('snapshot').complete")
    assert page.evaluate("document.getElementById('snapshot').naturalWidth") == first_frame().shape[1]
    box = page.locator("#drawing").bounding_box()

    def at(x, y):
        return box["x"] + x * box["width"], box["y"] + y * box["height"]

    def saved(name, model):
        with tenant_scope(world_a.tenant):
            return model.objects.get(camera=world_a.camera, name=name)

    # a zone: four corners, closed on the first one; a taken name is refused in plain words
    page.click("#draw-zone")
    corners = [(0.6, 0.5), (0.9, 0.5), (0.9, 0.9), (0.6, 0.9)]
    for corner in [*corners, corners[0]]:
        page.mouse.click(*at(*corner))
    page.fill("#shape-name", "Front")
    page.click("#editor button[type=submit]")
    expect(page.locator("#editor-errors")).to_have_text(
        "Another zone of this camera is already called “Front”: choose another name."
    )
    page.fill("#shape-name", "Shelf")
    page.select_option("#shape-kind", "queue")
    page.click("#editor button[type=submit]")
    expect(page.locator("#status")).to_have_text("Saved zone “Shelf”.")
    zone = saved("Shelf", Zone)
    assert zone.kind == Zone.Kind.QUEUE
    assert np.allclose(zone.polygon, corners, atol=0.01)

    # a line, walking right: 'in' is first on the left (up the picture), then flipped to the right (down)
    page.click("#draw-line")
    page.mouse.click(*at(0.6, 0.2))
    page.mouse.click(*at(0.9, 0.2))
    page.fill("#shape-name", "Gate")
    arrow = page.locator("g.line[data-name=Gate] .arrow")
    left_tip = float(arrow.get_attribute("y2"))
    page.check("input[name=in_side][value=right]")
    assert page.locator("g.line[data-name=Gate]").get_attribute("data-in-side") == "right"
    assert float(arrow.get_attribute("y2")) > left_tip
    page.click("#editor button[type=submit]")
    expect(page.locator("#status")).to_have_text("Saved line “Gate”.")
    line = saved("Gate", CountingLine)
    assert line.in_side == CountingLine.Side.RIGHT
    assert np.allclose(line.points, [(0.6, 0.2), (0.9, 0.2)], atol=0.01)

    # the world's zone: picked on the picture, its second corner (0.5, 0) dragged to (0.65, 0.25)
    page.mouse.click(*at(0.25, 0.3))
    expect(page.locator("#shape-name")).to_have_value("Front")
    x, y = at(0.5, 0)
    page.mouse.move(x, y + 3)  # the handle is centred on the picture's top edge
    page.mouse.down()
    page.mouse.move(*at(0.65, 0.25), steps=5)
    page.mouse.up()
    page.click("#editor button[type=submit]")
    expect(page.locator("#status")).to_have_text("Saved zone “Front”.")
    polygon = saved("Front", Zone).polygon
    assert np.allclose(polygon[1], (0.65, 0.25), atol=0.01)
    assert [polygon[0], *polygon[2:]] == [[0, 0], [0.5, 1], [0, 1]]
    screenshot(page, "camera-setup")

    # deleting the line, after confirming
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#shapes >> text=Gate")
    page.click("#delete")
    expect(page.locator("#status")).to_have_text("Deleted line “Gate”.")
    with tenant_scope(world_a.tenant):
        assert not CountingLine.objects.filter(name="Gate").exists()
