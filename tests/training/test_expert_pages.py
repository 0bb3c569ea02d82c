"""专家评价 › 网络课程评价 / 老课复审 (SPEC H5, H6): the expert's queue, the evaluation screen (material,
a score per criterion within its points, an opinion, passed or not) and a 404 for anyone not assigned."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests.training import test_services
from tests.training.test_services import PDF, expert_of, filed_course
from training import services
from training.models import Course, EvaluationCriterion

pytestmark = pytest.mark.django_db
world = test_services.world  # the fixture: an institution, a category, two bound teachers, staff


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def client_of(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def assigned(world):
    """An online course's document material assigned to an outside expert, with two criteria."""
    course = filed_course(world)
    material = services.material_add(course=course, actor=world["officer"],
                                     upload=SimpleUploadedFile("课件.pdf", PDF))
    criteria = [EvaluationCriterion.objects.create(kind="document", name="内容准确", max_points=10, order=1),
                EvaluationCriterion.objects.create(kind="document", name="结构清晰", max_points=5, order=2)]
    evaluation = services.evaluation_open(course=course, purpose="online_course", kind="document",
                                          actor=world["officer"])
    judge = expert_of(name="外部专家")
    services.evaluation_assign(evaluation=evaluation, actor=world["staff"], expert=judge,
                               due_at=timezone.now() + datetime.timedelta(days=7))
    return {"course": course, "material": material, "criteria": criteria, "evaluation": evaluation, "judge": judge}


def test_the_queue_lists_what_is_assigned_to_the_expert_by_purpose(world, assigned):
    client = client_of(assigned["judge"])
    online = client.get(reverse("training_expert:online-course-list")).content.decode()
    assert f'data-testid="row-{assigned["evaluation"].pk}"' in online and "QMS 内审员" in online
    rereview = client.get(reverse("training_expert:rereview-list")).content.decode()
    assert 'data-testid="queue-empty"' in rereview
    videos = client.get(reverse("training_expert:online-course-list"), {"kind": "video"}).content.decode()
    assert 'data-testid="queue-empty"' in videos
    other = client_of(expert_of(name="另一专家")).get(reverse("training_expert:online-course-list")).content.decode()
    assert 'data-testid="queue-empty"' in other
    assert client_of(world["teachers"][0]).get(reverse("training_expert:online-course-list")).status_code == 404


def test_nobody_but_the_assigned_expert_opens_the_evaluation_or_the_material(world, assigned):
    evaluation_url = reverse("training_expert:evaluation", args=[assigned["evaluation"].pk])
    material_url = reverse("training_expert:material-file", args=[assigned["material"].pk])
    for user in (expert_of(name="另一专家"), world["officer"], world["teachers"][0], world["staff"]):
        client = client_of(user)
        assert client.get(evaluation_url).status_code == 404
        assert client.get(material_url).status_code == 404
    client = client_of(assigned["judge"])
    page = client.get(evaluation_url).content.decode()
    assert "内容准确" in page and "第一天" in page and f'data-testid="material-{assigned["material"].pk}"' in page
    download = client.get(material_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_scores_beyond_a_criterion_s_points_are_refused_beside_the_field(world, assigned):
    first, second = assigned["criteria"]
    response = client_of(assigned["judge"]).post(
        reverse("training_expert:evaluation", args=[assigned["evaluation"].pk]),
        {f"score_{first.pk}": "11", f"score_{second.pk}": "3", "result": "passed", "opinion": ""})
    assert response.status_code == 400
    assert "less than or equal to 10" in response.content.decode()
    assigned["evaluation"].refresh_from_db()
    assert assigned["evaluation"].status == "assigned"


def test_not_passed_needs_an_opinion(world, assigned):
    first, second = assigned["criteria"]
    response = client_of(assigned["judge"]).post(
        reverse("training_expert:evaluation", args=[assigned["evaluation"].pk]),
        {f"score_{first.pk}": "2", f"score_{second.pk}": "1", "result": "failed", "opinion": ""})
    assert response.status_code == 400 and "Give your opinion" in response.content.decode()


def test_the_expert_sends_the_evaluation_and_sees_it_as_sent(world, assigned):
    first, second = assigned["criteria"]
    client = client_of(assigned["judge"])
    url = reverse("training_expert:evaluation", args=[assigned["evaluation"].pk])
    response = client.post(url, {f"score_{first.pk}": "8", f"score_{second.pk}": "4", "result": "passed",
                                 "opinion": "内容充实"})
    assert response.status_code == 302 and response.url == url
    evaluation = assigned["evaluation"]
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.total, evaluation.opinion) == ("passed", 12, "内容充实")
    page = client.get(url).content.decode()
    assert 'data-testid="evaluation-done"' in page and 'data-testid="evaluation-form"' not in page
    assert "8 / 10" in page
    # the material is no longer the expert's to download, and the queue is empty
    assert client.get(reverse("training_expert:material-file", args=[assigned["material"].pk])).status_code == 404
    assert 'data-testid="queue-empty"' in client.get(reverse("training_expert:online-course-list")).content.decode()


def test_a_re_review_not_passed_withdraws_the_filing(world):
    course = filed_course(world)
    Course.objects.filter(pk=course.pk).update(rereview_due_on=timezone.localdate())
    evaluation = services.evaluation_open(course=course, purpose="rereview", kind="document", actor=world["staff"])
    judge = expert_of(name="复审专家")
    services.evaluation_assign(evaluation=evaluation, actor=world["staff"], expert=judge)
    client = client_of(judge)
    listing = client.get(reverse("training_expert:rereview-list")).content.decode()
    assert f'data-testid="row-{evaluation.pk}"' in listing
    response = client.post(reverse("training_expert:evaluation", args=[evaluation.pk]),
                           {"result": "failed", "opinion": "内容陈旧"})
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == "withdrawn"
