# ruff: noqa: E501 (XML samples read best one element a line)
"""OU-XML samples written by hand: the 1.2 and 2.0 placements and the real files' quirks."""

from __future__ import annotations

DOC_12 = """<?xml version="1.0"?>
<?sc-transform-do-oumusic-to-unicode?>
<Item SchemaVersion="1.2" id="X-TST_1">
  <CourseCode>TST101</CourseCode><CourseTitle>Testing things</CourseTitle>
  <ItemTitle>Networks unit</ItemTitle>
  <FrontMatter><LearningOutcomes>
    <LearningOutcome>understand packet switching in networks;</LearningOutcome>
    <LearningOutcome>use the Windows calculator.</LearningOutcome>
  </LearningOutcomes></FrontMatter>
  <Unit><UnitTitle>Networks</UnitTitle>
    <Session><Title>1 Routers</Title>
      <Paragraph>A router forwards packets. See <CrossRef idref="fig1">Figure 1</CrossRef> and
        <a href="http://example.org/routers">routers explained</a>.</Paragraph>
      <Figure id="fig1"><Image src="\\\\SHARE\\x\\t_001i.jpg" x_imagesrc="t_001i.jpg"/>
        <Caption>Figure 1 A home router</Caption><Alternative>Figure 1</Alternative></Figure>
      <Section><Title>1.1 Buffers</Title>
        <Paragraph>A buffer holds data. <olink targetdoc="Other unit" targetptr="s2">more</olink></Paragraph>
        <Activity id="a1"><Heading>Activity 1</Heading><Question><Paragraph>Name a buffer.</Paragraph></Question></Activity>
        <SAQ id="s1"><Heading>SAQ 1</Heading><Question><Paragraph>What is a packet?</Paragraph></Question></SAQ>
        <MediaContent type="video" src="router.mp4"><Caption>Router video</Caption></MediaContent>
        <SubSection><Title>1.1.1 Sizes</Title><Paragraph>Buffers have sizes.</Paragraph></SubSection>
      </Section>
    </Session>
    <BackMatter><References><Reference>Smith, J. (2004) Routers. London.</Reference></References></BackMatter>
  </Unit>
  <settings><numbering><Activity autonumber="false"/><SAQ autonumber="false"/>
    <Figures autonumber="false"/><MediaContent autonumber="false"/><Session autonumber="false"/>
  </numbering></settings>
</Item>
"""

DOC_20 = """<?xml version='1.0' encoding='utf-8'?>
<Item SchemaVersion="2.0" id="X_tst2">
  <CourseCode>TST202</CourseCode><CourseTitle>More testing</CourseTitle>
  <ItemTitle>Buffers and routers</ItemTitle>
  <Unit><UnitID/><UnitTitle>Buffers</UnitTitle>
    <Session><Title>Introduction</Title>
      <LearningOutcomes><LearningOutcome>explain what a buffer is</LearningOutcome></LearningOutcomes>
      <Paragraph>Routers use buffers when links are busy.</Paragraph>
      <Figure><Image src="images/buffer.png" alt="A queue of packets in a buffer"/>
        <Caption>A buffer</Caption><Description>Packets wait in a line.</Description></Figure>
      <MediaContent type="audio" src="talk.mp3"><Transcript><Paragraph>Hello.</Paragraph></Transcript></MediaContent>
    </Session>
    <BackMatter><Glossary>
      <GlossaryItem><Term>Buffers</Term><Definition>Memory that holds data in transit.</Definition></GlossaryItem>
      <GlossaryItem><Term>router</Term><Definition>A device that forwards packets.</Definition></GlossaryItem>
    </Glossary></BackMatter>
  </Unit>
</Item>
"""

GLOSSARY_12 = DOC_12.replace(
    "</Unit>",
    "<Glossary><GlossaryItem><Term>Buffer.</Term><Definition>A store for data on its way."
    "</Definition></GlossaryItem></Glossary></Unit>",
)
